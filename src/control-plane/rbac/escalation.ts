import type { UntypedObject } from '../../kube/index.js';
import type { Authorizer } from './authorizer.js';
import { compactRule, uncoveredRules } from './covers.js';
import { type PolicyIndex, rulesOf } from './policy-index.js';
import type { PolicyRule, PolicyUser, RoleRef } from './types.js';
import { PolicyError } from './types.js';

const GROUP = 'rbac.authorization.k8s.io';
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

function forbidden(plural: string, name: string, message: string): PolicyError {
  return new PolicyError(403, 'Forbidden', `${plural}.${GROUP} "${name}" is forbidden: ${message}`, {
    name,
    group: GROUP,
    kind: plural,
  });
}

function escalationMessage(user: PolicyUser, missing: readonly PolicyRule[]): string {
  const groups = `[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]`;
  return `user ${JSON.stringify(user.name)} (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${missing.map(compactRule).join('\n')}`;
}

/**
 * Escalation prevention for writes of RBAC objects (upstream's policybased storage): a Role or
 * ClusterRole needs every permission it grants, or the `escalate` verb on it; an aggregated
 * ClusterRole needs full authority; a binding needs the permissions of its role, or `bind` on it.
 * Throws 403 Forbidden with kube-apiserver's message.
 */
export function checkEscalation(
  authz: Authorizer,
  index: PolicyIndex,
  user: PolicyUser,
  plural: string,
  namespace: string | undefined,
  next: UntypedObject,
): void {
  const name = String(next.metadata?.name ?? '');
  const ns = plural === 'roles' || plural === 'rolebindings' ? namespace : undefined;
  const owned = () => index.rulesFor(user, ns);
  const superuser = authz.rbacAllows(user, {
    resourceRequest: true,
    verb: '*',
    group: '*',
    resource: '*',
    subresource: undefined,
    namespace: undefined,
    name: undefined,
  });
  if (superuser) return;
  if (plural === 'roles' || plural === 'clusterroles') {
    const allowed = (verb: string) =>
      authz.rbacAllows(user, {
        resourceRequest: true,
        verb,
        group: GROUP,
        resource: plural,
        subresource: undefined,
        namespace: ns,
        name,
      });
    const aggregated = plural === 'clusterroles' && next.aggregationRule != null;
    if (aggregated && uncoveredRules(index.rulesFor(user, undefined), FULL_AUTHORITY).length > 0)
      throw forbidden(plural, name, 'must have cluster-admin privileges to use the aggregationRule');
    if (allowed('escalate')) return;
    const missing = uncoveredRules(owned(), rulesOf(next));
    if (missing.length) throw forbidden(plural, name, escalationMessage(user, missing));
    return;
  }
  const ref = next.roleRef as RoleRef | undefined;
  if (!ref || typeof ref.name !== 'string') return;
  const bindAllowed = authz.rbacAllows(user, {
    resourceRequest: true,
    verb: 'bind',
    group: GROUP,
    resource: ref.kind === 'Role' ? 'roles' : 'clusterroles',
    subresource: undefined,
    namespace: ns,
    name: ref.name,
  });
  if (bindAllowed) return;
  if (!index.hasRole(ref, ns)) {
    const rolePlural = ref.kind === 'Role' ? 'roles' : 'clusterroles';
    throw new PolicyError(404, 'NotFound', `${rolePlural}.${GROUP} "${ref.name}" not found`, {
      name: ref.name,
      group: GROUP,
      kind: rolePlural,
    });
  }
  const missing = uncoveredRules(owned(), index.roleRules(ref, ns));
  if (missing.length) throw forbidden(plural, name, escalationMessage(user, missing));
}
