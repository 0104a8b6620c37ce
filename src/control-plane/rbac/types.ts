import type { StatusCause } from '../../kube/index.js';

/**
 * The shapes of rbac.authorization.k8s.io/v1 objects the authorizer reads, and what a request
 * asks to do (after k8s.io/apiserver's authorizer.Attributes).
 */

/** One rule of a Role or ClusterRole. */
export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

/** Who a binding grants to. */
export interface Subject {
  readonly kind: 'User' | 'Group' | 'ServiceAccount';
  readonly name: string;
  readonly namespace?: string;
  readonly apiGroup?: string;
}

/** The role a binding grants. */
export interface RoleRef {
  readonly apiGroup: string;
  readonly kind: 'Role' | 'ClusterRole';
  readonly name: string;
}

/** A request to authorize: a resource request or a non-resource path. */
export type RequestAttributes =
  | {
      readonly resourceRequest: true;
      readonly verb: string;
      readonly group: string;
      readonly resource: string;
      readonly subresource: string | undefined;
      readonly namespace: string | undefined;
      /** The object's name; none for a create, as kube-apiserver authorizes them (so resourceNames never match one). */
      readonly name: string | undefined;
      /**
       * A create's name from its body, for the node authorizer only (what upstream's NodeRestriction
       * admission checks: a node creates only its own Node and Lease). RBAC never reads it.
       */
      readonly createName?: string;
    }
  | { readonly resourceRequest: false; readonly verb: string; readonly path: string };

/** Who is asking (the authenticated or impersonated user). */
export interface PolicyUser {
  readonly name: string;
  readonly groups: readonly string[];
}

/** The user name prefix of service accounts: `system:serviceaccount:<namespace>:<name>`. */
export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

/** The namespace and name of a service-account user, or undefined. */
export function serviceAccountOf(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const rest = user.slice(SERVICE_ACCOUNT_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1 || rest.indexOf(':', colon + 1) >= 0) return undefined;
  return { namespace: rest.slice(0, colon), name: rest.slice(colon + 1) };
}

/** A refusal the API layer turns into a Status (rbac/ does not import api/, which imports it). */
export class PolicyError extends Error {
  constructor(
    readonly code: 400 | 403 | 404 | 422,
    readonly reason: 'BadRequest' | 'Forbidden' | 'NotFound' | 'Invalid',
    message: string,
    readonly details?: {
      readonly name?: string;
      readonly group?: string;
      readonly kind?: string;
      readonly causes?: readonly StatusCause[];
    },
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}
