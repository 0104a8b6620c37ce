import { type KindedResourceType, resources } from '../../client/types.js';

/** The resource types the controllers use: the REST client's description plus the kind. */
export type ResourceType = KindedResourceType;

export const resourceTypes = {
  pods: resources.pods,
  nodes: resources.nodes,
  services: resources.services,
  endpoints: resources.endpoints,
  events: resources.events,
  leases: resources.leases,
  deployments: resources.deployments,
  replicasets: resources.replicaSets,
  daemonsets: resources.daemonSets,
  statefulsets: resources.statefulSets,
  replicationcontrollers: resources.replicationControllers,
  controllerrevisions: resources.controllerRevisions,
  persistentvolumeclaims: resources.persistentVolumeClaims,
  persistentvolumes: resources.persistentVolumes,
  limitranges: resources.limitRanges,
  resourcequotas: resources.resourceQuotas,
  storageclasses: resources.storageClasses,
  jobs: resources.jobs,
  cronjobs: resources.cronJobs,
  endpointslices: resources.endpointSlices,
  poddisruptionbudgets: resources.podDisruptionBudgets,
  horizontalpodautoscalers: resources.horizontalPodAutoscalers,
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
