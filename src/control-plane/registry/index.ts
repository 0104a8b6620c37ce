import { horizontalpodautoscalers, horizontalpodautoscalersV1 } from './autoscalers.js';
import { jobs, leases } from './batch-coordination.js';
import { certificatesigningrequests } from './certificates.js';
import { configmaps, endpoints, events, secrets, serviceaccounts, services } from './core-config.js';
import { namespaces, nodes, pods } from './core-nodes-pods.js';
import { cronjobs } from './cronjobs.js';
import { endpointslices } from './discovery.js';
import { poddisruptionbudgets } from './disruption-budgets.js';
import { nodemetrics, podmetrics } from './metrics.js';
import { persistentvolumes, storageclasses } from './persistent-volumes.js';
import { limitranges, resourcequotas } from './quotas.js';
import {
  clusterrolebindings,
  clusterroles,
  localsubjectaccessreviews,
  rolebindings,
  roles,
  selfsubjectaccessreviews,
  selfsubjectreviews,
  selfsubjectrulesreviews,
  subjectaccessreviews,
  tokenreviews,
} from './rbac.js';
import { replicationcontrollers } from './replication-controllers.js';
import { controllerrevisions, statefulsets } from './statefulsets.js';
import { persistentvolumeclaims } from './storage.js';
import type { ResourceDef } from './types.js';
import { daemonsets, deployments, replicasets } from './workloads.js';

/** Every resource the API server serves, in discovery order. */
export const allResources: readonly ResourceDef[] = [
  namespaces,
  nodes,
  pods,
  services,
  endpoints,
  configmaps,
  secrets,
  events,
  serviceaccounts,
  persistentvolumeclaims,
  persistentvolumes,
  limitranges,
  resourcequotas,
  replicationcontrollers,
  deployments,
  replicasets,
  daemonsets,
  statefulsets,
  controllerrevisions,
  jobs,
  cronjobs,
  horizontalpodautoscalers,
  horizontalpodautoscalersV1,
  leases,
  endpointslices,
  storageclasses,
  poddisruptionbudgets,
  roles,
  clusterroles,
  rolebindings,
  clusterrolebindings,
  selfsubjectaccessreviews,
  selfsubjectrulesreviews,
  subjectaccessreviews,
  localsubjectaccessreviews,
  selfsubjectreviews,
  tokenreviews,
  certificatesigningrequests,
  nodemetrics,
  podmetrics,
];

/** Finds a resource by group, version and plural; undefined when not served. */
export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return allResources.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** Finds a resource by apiVersion and kind (for bodies and ownerReferences). */
export function findKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return allResources.find(
    (r) => (r.group ? `${r.group}/${r.version}` : r.version) === apiVersion && r.kind === kind,
  );
}

export type { ResourceDef } from './types.js';
