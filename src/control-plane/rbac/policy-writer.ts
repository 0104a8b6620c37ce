import type { UntypedObject } from '../../kube/index.js';

/** The cluster-scoped RBAC kinds the reconcilers write. */
export type ClusterPolicyPlural = 'clusterroles' | 'clusterrolebindings';

/**
 * How the reconcilers read and write ClusterRoles and ClusterRoleBindings: the API server
 * implements it over its own write path (defaults, validation, metadata), tests with a map.
 */
export interface PolicyWriter {
  get(plural: ClusterPolicyPlural, name: string): Promise<UntypedObject | undefined>;
  list(plural: ClusterPolicyPlural): Promise<UntypedObject[]>;
  create(plural: ClusterPolicyPlural, obj: UntypedObject): Promise<void>;
  /** Replaces the stored object with `change(current)`; no write when it returns undefined. */
  update(
    plural: ClusterPolicyPlural,
    name: string,
    change: (current: UntypedObject) => UntypedObject | undefined,
  ): Promise<void>;
  delete(plural: ClusterPolicyPlural, name: string): Promise<void>;
}
