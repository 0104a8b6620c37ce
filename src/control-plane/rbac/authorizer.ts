import type { Verb } from '../../kube/index.js';
import { type NodeGraph, authorize as nodeAuthorize } from '../auth/authorize.js';
import { SUPERUSER_GROUPS } from './bootstrap-policy.js';
import type { PolicyIndex } from './policy-index.js';
import type { PolicyUser, RequestAttributes } from './types.js';

/** Decides requests: the union of the node authorizer and RBAC (kube-apiserver's `Node,RBAC`). */
export interface Authorizer {
  authorize(user: PolicyUser, attrs: RequestAttributes): Promise<boolean>;
  /** RBAC alone, synchronously (escalation checks and rules reviews need no node graph). */
  rbacAllows(user: PolicyUser, attrs: RequestAttributes): boolean;
}

const NODE_VERBS = new Set([
  'get',
  'list',
  'watch',
  'create',
  'update',
  'patch',
  'delete',
  'deletecollection',
]);

/**
 * Builds the `Node,RBAC` authorizer: members of `system:masters` may do anything (as upstream's
 * privileged group), nodes get what the node authorizer grants, everyone gets what their
 * RoleBindings and ClusterRoleBindings grant.
 */
export function buildAuthorizer(index: PolicyIndex, graph: NodeGraph): Authorizer {
  const rbacAllows = (user: PolicyUser, attrs: RequestAttributes) =>
    user.groups.some((g) => SUPERUSER_GROUPS.includes(g)) || index.allows(user, attrs);
  return {
    rbacAllows,
    async authorize(user, attrs) {
      if (rbacAllows(user, attrs)) return true;
      if (!attrs.resourceRequest || !NODE_VERBS.has(attrs.verb)) return false;
      return nodeAuthorize(
        user,
        { ...attrs, verb: attrs.verb as Verb, name: attrs.createName ?? attrs.name },
        graph,
      );
    },
  };
}
