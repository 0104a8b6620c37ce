import type { IncomingMessage } from 'node:http';
import type { KubeList, KubeObject, Status, WatchEvent } from '../kube/index.js';
import { buildPath, renderSelector, withQuery } from './paths.js';
import { Transport, type TransportOptions } from './transport.js';
import { type PatchType, patchContentTypes, type ResourceType } from './types.js';

/** Selects objects in list and watch calls. */
export interface ListOptions {
  /** Namespace to list in; omit for all namespaces (or a cluster-scoped type). @default all */
  readonly namespace?: string;
  /** `app=web,tier!=db`, or a map of equalities. @default none */
  readonly labelSelector?: string | Readonly<Record<string, string>>;
  /** `spec.nodeName=node-1`, or a map of equalities. @default none */
  readonly fieldSelector?: string | Readonly<Record<string, string>>;
  /** Page size. @default unlimited */
  readonly limit?: number;
  /** Continue token of the previous page. @default none */
  readonly continue?: string;
}

/** Options of one watch request. */
export interface WatchOptions extends ListOptions {
  /** Deliver changes after this resourceVersion. @default now */
  readonly resourceVersion?: string;
  /** Ask the server to end the stream after this many seconds. @default server default */
  readonly timeoutSeconds?: number;
  /** Ends the stream. */
  readonly signal?: AbortSignal;
}

/** Options of a delete. */
export interface DeleteOptions {
  readonly namespace?: string;
  /** 0 deletes immediately; omit for the object's default grace. @default object default */
  readonly gracePeriodSeconds?: number;
  /** @default server default (Background) */
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  /** Delete only if the object still has this uid. @default none */
  readonly uid?: string;
}

/** Options of a patch. */
export interface PatchOptions {
  readonly namespace?: string;
  /** @default 'merge' */
  readonly patchType?: PatchType;
  /** e.g. `status` or `scale`. @default the object itself */
  readonly subresource?: string;
}

/**
 * A small typed client of the Kubernetes REST API (the subset tugboat's API server serves).
 * Every call takes the resource type (see `resources`) so one client serves every kind.
 */
export class KubeClient {
  readonly transport: Transport;

  constructor(transport: Transport | TransportOptions) {
    this.transport = transport instanceof Transport ? transport : new Transport(transport);
  }

  /** GET one object; throws ApiError (404 → `isNotFound`). */
  get<T extends KubeObject>(type: ResourceType, name: string, namespace?: string): Promise<T> {
    return this.transport.json<T>({ method: 'GET', path: buildPath(type, { namespace, name }) });
  }

  /** GET a collection, filtered by label and field selectors. */
  list<T extends KubeObject>(type: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    const path = withQuery(buildPath(type, { namespace: options.namespace }), {
      labelSelector: renderSelector(options.labelSelector),
      fieldSelector: renderSelector(options.fieldSelector),
      limit: options.limit,
      continue: options.continue,
    });
    return this.transport.json<KubeList<T>>({ method: 'GET', path });
  }

  /** POST a new object into its namespace (taken from `obj.metadata.namespace` unless given). */
  create<T extends KubeObject>(type: ResourceType, obj: T, namespace?: string): Promise<T> {
    const ns = namespace ?? obj.metadata.namespace;
    return this.transport.json<T>({ method: 'POST', path: buildPath(type, { namespace: ns }), body: obj });
  }

  /** PUT a whole object; its `metadata.resourceVersion` makes this a compare-and-swap (409 on conflict). */
  update<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    const path = buildPath(type, { namespace: obj.metadata.namespace, name: obj.metadata.name });
    return this.transport.json<T>({ method: 'PUT', path, body: obj });
  }

  /** PUT the status subresource of an object (only `status` is taken by the server). */
  updateStatus<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    const path = buildPath(type, {
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      subresource: 'status',
    });
    return this.transport.json<T>({ method: 'PUT', path, body: obj });
  }

  /** PATCH an object or a subresource: JSON merge (default), strategic merge, or JSON patch (an array). */
  patch<T extends KubeObject>(
    type: ResourceType,
    name: string,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const patchType = options.patchType ?? 'merge';
    const path = buildPath(type, { namespace: options.namespace, name, subresource: options.subresource });
    return this.transport.json<T>({
      method: 'PATCH',
      path,
      body: patch,
      contentType: patchContentTypes[patchType],
    });
  }

  /** POST to a subresource of an object (e.g. `serviceaccounts/<name>/token`); returns the answer. */
  createSubresource<T>(
    type: ResourceType,
    name: string,
    subresource: string,
    body: unknown,
    namespace?: string,
  ): Promise<T> {
    const path = buildPath(type, { namespace, name, subresource });
    return this.transport.json<T>({ method: 'POST', path, body });
  }

  /** DELETE an object; returns the object (graceful delete) or a Status (immediate delete). */
  delete(type: ResourceType, name: string, options: DeleteOptions = {}): Promise<KubeObject | Status> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.uid) body.preconditions = { uid: options.uid };
    const path = buildPath(type, { namespace: options.namespace, name });
    return this.transport.json({ method: 'DELETE', path, body });
  }

  /**
   * Opens one watch stream and yields its events until the server ends it or `signal` aborts.
   * A 410 arrives either as an ApiError (`isGone`) or as an `ERROR` event whose Status code is 410;
   * `runListWatch` handles both by relisting.
   */
  async *watch<T extends KubeObject>(
    type: ResourceType,
    options: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>> {
    const path = withQuery(buildPath(type, { namespace: options.namespace }), {
      watch: 1,
      labelSelector: renderSelector(options.labelSelector),
      fieldSelector: renderSelector(options.fieldSelector),
      resourceVersion: options.resourceVersion,
      timeoutSeconds: options.timeoutSeconds,
      allowWatchBookmarks: true,
    });
    let res: IncomingMessage;
    try {
      res = await this.transport.stream({ method: 'GET', path, signal: options.signal });
    } catch (err) {
      if (options.signal?.aborted) return;
      throw err;
    }
    let buffered = '';
    try {
      for await (const chunk of res) {
        buffered += (chunk as Buffer).toString('utf8');
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) yield JSON.parse(line) as WatchEvent<T>;
          nl = buffered.indexOf('\n');
        }
      }
    } catch (err) {
      if (options.signal?.aborted) return;
      throw err;
    } finally {
      res.destroy();
    }
  }

  /** GET a raw stream under the API (e.g. `pods/log`), for subresources that are not JSON. */
  stream(path: string, signal?: AbortSignal): Promise<IncomingMessage> {
    return this.transport.stream({ method: 'GET', path, signal });
  }

  /** Releases keep-alive connections. */
  close(): void {
    this.transport.close();
  }
}
