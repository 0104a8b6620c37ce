import type { KubeObject, WatchEventType as KubeWatchEventType } from '../../kube/index.js';
import type { ResourceType } from './resources.js';

/**
 * The narrow view of the Kubernetes API the scheduler and controllers need. The control plane
 * adapts its REST client to it; unit tests use an in-memory implementation. Errors are the client's
 * `ApiError` (src/client/api-error.ts) so callers can tell NotFound, Conflict and Gone apart.
 */
export interface ControllerApi {
  get<T extends KubeObject>(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined>;
  list<T extends KubeObject>(r: ResourceType, options?: ListOptions): Promise<ListResult<T>>;
  /** Streams changes after `resourceVersion`; the stream may end at any time (re-watch or relist then). */
  watch<T extends KubeObject>(
    r: ResourceType,
    options: WatchOptions,
    handlers: WatchHandlers<T>,
  ): Promise<WatchHandle>;
  create<T extends KubeObject>(r: ResourceType, obj: T): Promise<T>;
  /** Replaces the object; fails with 409 when `metadata.resourceVersion` is stale. */
  update<T extends KubeObject>(r: ResourceType, obj: T): Promise<T>;
  /** Replaces the `status` subresource. */
  updateStatus<T extends KubeObject>(r: ResourceType, obj: T): Promise<T>;
  /** JSON merge patch (RFC 7386), on the object or on its status subresource. */
  patch<T extends KubeObject>(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: object,
    options?: { readonly subresource?: 'status' | 'approval' },
  ): Promise<T>;
  delete(
    r: ResourceType,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): Promise<void>;
  /** POST pods/{name}/binding: assigns a pending pod to a node. */
  bind(namespace: string, podName: string, nodeName: string, podUid?: string): Promise<void>;
}

export interface ListOptions {
  /** Only this namespace. @default all namespaces */
  readonly namespace?: string;
}

export interface ListResult<T> {
  readonly items: T[];
  readonly resourceVersion: string;
}

export interface WatchOptions {
  readonly resourceVersion: string;
  /** Only this namespace. @default all namespaces */
  readonly namespace?: string;
}

/** Watch events a handler sees: ERROR events arrive as `onClose(err)` instead. */
export type WatchEventType = Exclude<KubeWatchEventType, 'ERROR'>;

export interface WatchHandlers<T> {
  readonly onEvent: (type: WatchEventType, object: T) => void;
  /** The watch failed or ended; `ApiError` with status 410 means the version is too old: relist. */
  readonly onClose: (err?: unknown) => void;
}

export interface WatchHandle {
  stop(): void;
}

export interface DeleteOptions {
  /** 0 deletes at once. @default the object's own grace period */
  readonly gracePeriodSeconds?: number;
  /** @default server default (Background) */
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** Delete only if the object still has this uid. */
  readonly uid?: string;
}
