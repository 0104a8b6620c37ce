import type { ResourceType as ClientResourceType } from '../../client/types.js';

/**
 * The resource types the controllers use: the REST client's description plus the kind
 * (for ownerReferences and Events).
 */
export interface ResourceType extends ClientResourceType {
  /** Kind of one object, for ownerReferences and Events. */
  readonly kind: string;
}

export const resourceTypes = {
  pods: { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' },
  nodes: { group: '', version: 'v1', resource: 'nodes', namespaced: false, kind: 'Node' },
  services: { group: '', version: 'v1', resource: 'services', namespaced: true, kind: 'Service' },
  endpoints: { group: '', version: 'v1', resource: 'endpoints', namespaced: true, kind: 'Endpoints' },
  events: { group: '', version: 'v1', resource: 'events', namespaced: true, kind: 'Event' },
  leases: {
    group: 'coordination.k8s.io',
    version: 'v1',
    resource: 'leases',
    namespaced: true,
    kind: 'Lease',
  },
  deployments: {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    namespaced: true,
    kind: 'Deployment',
  },
  replicasets: {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    namespaced: true,
    kind: 'ReplicaSet',
  },
  daemonsets: { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true, kind: 'DaemonSet' },
  jobs: { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true, kind: 'Job' },
} as const satisfies Record<string, ResourceType>;

/** Name of a resource type the controllers know. */
export type ResourceName = keyof typeof resourceTypes;

/** `apiVersion` of a resource type: `v1` or `group/version`. */
export function apiVersionOf(r: ResourceType): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Resource name by kind, for the garbage collector following ownerReferences. */
export function resourceOfKind(kind: string): ResourceName | undefined {
  for (const [name, r] of Object.entries(resourceTypes)) if (r.kind === kind) return name as ResourceName;
  return undefined;
}
