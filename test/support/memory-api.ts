import { statusError } from '../../src/client/api-error.js';
import type {
  ControllerApi,
  DeleteOptions,
  ListResult,
  WatchEventType,
  WatchHandle,
  WatchHandlers,
} from '../../src/control-plane/machinery/api.js';
import type { ResourceType } from '../../src/control-plane/machinery/resources.js';
import type { KubeObject } from '../../src/kube/index.js';

type Watcher = { resource: string; handlers: WatchHandlers<KubeObject>; closed: boolean };

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * An in-memory ControllerApi for unit tests of the loop machinery (informers, work queues,
 * controllers, leader election) — optimistic concurrency, watches, finalizers, bindings — without
 * an API server. Behaviour follows the Kubernetes API for the calls the controllers make.
 */
export class MemoryApi implements ControllerApi {
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private readonly watchers: Watcher[] = [];
  private readonly history: { resource: string; rv: number; type: WatchEventType; obj: KubeObject }[] = [];
  private rv = 0;
  private uid = 0;
  /** Oldest resourceVersion a watch may start from (simulates etcd compaction → 410). */
  compacted = 0;
  /** Calls made, by verb and resource, for assertions. */
  readonly calls: string[] = [];
  now = () => Date.now();

  private bucket(r: ResourceType): Map<string, KubeObject> {
    let m = this.data.get(r.resource);
    if (!m) {
      m = new Map();
      this.data.set(r.resource, m);
    }
    return m;
  }

  private emit(resource: string, type: WatchEventType, obj: KubeObject): void {
    this.history.push({ resource, rv: this.rv, type, obj: structuredClone(obj) });
    for (const w of this.watchers) {
      if (w.resource !== resource || w.closed) continue;
      const copy = structuredClone(obj);
      queueMicrotask(() => {
        if (!w.closed) w.handlers.onEvent(type, copy);
      });
    }
  }

  private write(r: ResourceType, obj: KubeObject, type: WatchEventType): KubeObject {
    obj.metadata.resourceVersion = String(++this.rv);
    this.bucket(r).set(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, obj);
    this.emit(r.resource, type, obj);
    return structuredClone(obj);
  }

  private current(r: ResourceType, ns: string | undefined, name: string): KubeObject {
    const cur = this.bucket(r).get(`${r.namespaced ? (ns ?? '') : ''}/${name}`);
    if (!cur) throw statusError(404, 'NotFound', `${r.resource} "${name}" not found`);
    return cur;
  }

  async get<T extends KubeObject>(
    r: ResourceType,
    ns: string | undefined,
    name: string,
  ): Promise<T | undefined> {
    const cur = this.bucket(r).get(`${r.namespaced ? (ns ?? '') : ''}/${name}`);
    return cur ? (structuredClone(cur) as T) : undefined;
  }

  async list<T extends KubeObject>(r: ResourceType): Promise<ListResult<T>> {
    this.calls.push(`list ${r.resource}`);
    return {
      items: [...this.bucket(r).values()].map((o) => structuredClone(o) as T),
      resourceVersion: String(this.rv),
    };
  }

  async watch<T extends KubeObject>(
    r: ResourceType,
    options: { resourceVersion: string },
    handlers: WatchHandlers<T>,
  ): Promise<WatchHandle> {
    const from = Number(options.resourceVersion);
    const w: Watcher = {
      resource: r.resource,
      handlers: handlers as WatchHandlers<KubeObject>,
      closed: false,
    };
    if (from < this.compacted) {
      queueMicrotask(() =>
        handlers.onClose(statusError(410, 'Expired', `too old resource version: ${from}`)),
      );
      return { stop: () => undefined };
    }
    const backlog = this.history.filter((h) => h.resource === r.resource && h.rv > from);
    queueMicrotask(() => {
      for (const h of backlog) if (!w.closed) handlers.onEvent(h.type, structuredClone(h.obj) as T);
    });
    this.watchers.push(w);
    return {
      stop: () => {
        w.closed = true;
      },
    };
  }

  /** Ends every open watch, as a restarting API server would. */
  closeWatches(err?: unknown): void {
    for (const w of this.watchers.splice(0)) {
      w.closed = true;
      w.handlers.onClose(err);
    }
  }

  async create<T extends KubeObject>(r: ResourceType, obj: T): Promise<T> {
    this.calls.push(`create ${r.resource}`);
    const o = structuredClone(obj) as KubeObject;
    if (!o.metadata.name && o.metadata.generateName)
      o.metadata.name = `${o.metadata.generateName}${(++this.uid).toString(36)}`;
    if (r.namespaced) o.metadata.namespace ??= 'default';
    const key = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (this.bucket(r).has(key))
      throw statusError(409, 'AlreadyExists', `${r.resource} "${o.metadata.name}" already exists`);
    o.metadata.uid = `uid-${++this.uid}`;
    o.metadata.creationTimestamp = new Date(this.now()).toISOString();
    o.metadata.generation = 1;
    return this.write(r, o, 'ADDED') as T;
  }

  async update<T extends KubeObject>(r: ResourceType, obj: T, statusOnly = false): Promise<T> {
    this.calls.push(`${statusOnly ? 'updateStatus' : 'update'} ${r.resource}`);
    const cur = this.current(r, obj.metadata.namespace, obj.metadata.name ?? '');
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      throw statusError(
        409,
        'Conflict',
        `the object has been modified; please apply your changes to the latest version`,
      );
    }
    const next = structuredClone(obj) as KubeObject & { spec?: unknown; status?: unknown };
    const prev = cur as KubeObject & { spec?: unknown; status?: unknown };
    if (statusOnly) {
      const merged = { ...structuredClone(prev), status: next.status } as KubeObject;
      return this.write(r, merged, 'MODIFIED') as T;
    }
    next.status = prev.status;
    next.metadata = {
      ...next.metadata,
      uid: prev.metadata.uid,
      creationTimestamp: prev.metadata.creationTimestamp,
    };
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(prev.spec);
    next.metadata.generation = (prev.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    if (prev.metadata.deletionTimestamp) next.metadata.deletionTimestamp = prev.metadata.deletionTimestamp;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.bucket(r).delete(`${next.metadata.namespace ?? ''}/${next.metadata.name}`);
      next.metadata.resourceVersion = String(++this.rv);
      this.emit(r.resource, 'DELETED', next);
      return structuredClone(next) as T;
    }
    return this.write(r, next, 'MODIFIED') as T;
  }

  updateStatus<T extends KubeObject>(r: ResourceType, obj: T): Promise<T> {
    return this.update(r, obj, true);
  }

  async patch<T extends KubeObject>(
    r: ResourceType,
    ns: string | undefined,
    name: string,
    patch: object,
  ): Promise<T> {
    this.calls.push(`patch ${r.resource}`);
    const cur = this.current(r, ns, name);
    return this.write(r, mergePatch(structuredClone(cur), patch) as KubeObject, 'MODIFIED') as T;
  }

  async delete(
    r: ResourceType,
    ns: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<void> {
    this.calls.push(`delete ${r.resource}`);
    const cur = this.current(r, ns, name);
    if (options.uid && options.uid !== cur.metadata.uid)
      throw statusError(409, 'Conflict', 'uid precondition failed');
    const policy = options.propagationPolicy;
    const finalizer =
      policy === 'Foreground' ? 'foregroundDeletion' : policy === 'Orphan' ? 'orphan' : undefined;
    const finalizers = [...(cur.metadata.finalizers ?? []), ...(finalizer ? [finalizer] : [])];
    if (finalizers.length > 0) {
      if (cur.metadata.deletionTimestamp) return;
      const next = structuredClone(cur);
      next.metadata.deletionTimestamp = new Date(this.now()).toISOString();
      next.metadata.finalizers = finalizers;
      this.write(r, next, 'MODIFIED');
      return;
    }
    this.bucket(r).delete(`${cur.metadata.namespace ?? ''}/${name}`);
    cur.metadata.resourceVersion = String(++this.rv);
    this.emit(r.resource, 'DELETED', cur);
  }

  async bind(namespace: string, podName: string, nodeName: string): Promise<void> {
    this.calls.push('bind pods');
    const pods = { group: '', version: 'v1', resource: 'pods', namespaced: true, kind: 'Pod' };
    const cur = this.current(pods, namespace, podName) as KubeObject & { spec: { nodeName?: string } };
    if (cur.spec.nodeName)
      throw statusError(409, 'Conflict', `pod ${podName} is already assigned to node "${cur.spec.nodeName}"`);
    const next = structuredClone(cur);
    next.spec.nodeName = nodeName;
    this.write(pods, next, 'MODIFIED');
  }

  /** Objects of a resource, for assertions. */
  items<T extends KubeObject>(resource: string): T[] {
    return [...(this.data.get(resource)?.values() ?? [])].map((o) => structuredClone(o) as T);
  }
}
