/**
 * The shapes every Kubernetes object shares: metadata, owner references, lists, watch events,
 * label selectors, conditions and the `Status` body of errors. This folder is the one source of
 * truth for object shapes; the client, the agent, the API server and the controllers all import
 * from `src/kube/index.js`. Fields are optional where the wire allows absence: the API server
 * defaults them, and readers must tolerate it.
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

/** Any API object of a known kind. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** Metadata of an untyped object: the known fields typed, any others passed through. */
export type UntypedMeta = ObjectMeta & Record<string, unknown>;

/**
 * An object of any kind as raw JSON, before its kind is known or checked: what the API server
 * stores, validates and defaults. Unknown fields (in the object and its metadata) pass through.
 */
export type UntypedObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: UntypedMeta;
};

/** A list response (`PodList`, `NodeList`, ...). */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** The type of one event of a watch stream. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One event of a watch stream (one JSON document per line). */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

/** One field-level problem inside an `Invalid` Status (what registry validation reports). */
export interface StatusCause {
  readonly reason?: string;
  readonly message: string;
  readonly field?: string;
}

/** The Kubernetes verb of a request, as RBAC and audit name it. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

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

/** One requirement of a label selector's `matchExpressions`. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** A label selector as workloads and services carry it. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** A status condition (pods, nodes, deployments, jobs share this shape). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastHeartbeatTime?: string;
  lastProbeTime?: string | null;
}
