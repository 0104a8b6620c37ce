/**
 * The generic shapes of the Kubernetes REST API that every resource shares: object metadata,
 * lists, watch events and the `Status` body of errors. Resource-specific shapes live in
 * `core-types.ts`.
 */

/** An owner of an object (garbage collection follows these). */
export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

/** `metadata` of every object. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

/** Any API object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** A list response (`PodList`, `NodeList`, ...). */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** One event of a watch stream (one JSON document per line). */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

/** The body the API server returns with errors (and some successes). */
export interface Status {
  apiVersion?: string;
  kind?: 'Status';
  metadata?: { resourceVersion?: string };
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/**
 * Identifies a resource type: group ('' for the core group), version and plural resource name.
 * `namespaced` decides whether paths carry `/namespaces/{ns}/`.
 */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly namespaced: boolean;
}

/** Well-known resource types the agent and controllers use. */
export const resources = {
  pods: { group: '', version: 'v1', resource: 'pods', namespaced: true },
  nodes: { group: '', version: 'v1', resource: 'nodes', namespaced: false },
  configMaps: { group: '', version: 'v1', resource: 'configmaps', namespaced: true },
  secrets: { group: '', version: 'v1', resource: 'secrets', namespaced: true },
  services: { group: '', version: 'v1', resource: 'services', namespaced: true },
  endpoints: { group: '', version: 'v1', resource: 'endpoints', namespaced: true },
  events: { group: '', version: 'v1', resource: 'events', namespaced: true },
  namespaces: { group: '', version: 'v1', resource: 'namespaces', namespaced: false },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
  replicaSets: { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true },
  daemonSets: { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true },
} as const satisfies Record<string, ResourceType>;

/** Patch flavours the API server accepts, by content type. */
export type PatchType = 'merge' | 'strategic' | 'json';

export const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};
