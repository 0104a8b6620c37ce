import { type ListWatch, runReflector } from '../../client/list-watch.js';
import type { EventSink } from '../../events.js';
import type { KubeObject, WatchEvent } from '../../kube/index.js';
import type { ControllerApi } from './api.js';
import { keyOf } from './objects.js';
import type { ResourceType } from './resources.js';

export interface InformerHandlers<T> {
  readonly onAdd?: (obj: T) => void;
  readonly onUpdate?: (obj: T, old: T) => void;
  readonly onDelete?: (obj: T) => void;
}

export interface InformerOptions {
  readonly events?: EventSink;
  /** Delay before re-watching after a stream ends, doubling up to 5 s on repeated failures. @default 100 */
  readonly retryDelayMs?: number;
}

function rvNumber(obj: KubeObject): number {
  const n = Number(obj.metadata.resourceVersion);
  return Number.isFinite(n) ? n : -1;
}

/**
 * A watch-driven cache of one resource type (client-go's shared informer, reduced) over the
 * client's reflector (`runReflector`, src/client/list-watch.ts) fed by the ControllerApi: list, then
 * watch from the list's resourceVersion; when the watch ends it re-watches from the last seen
 * version, and when the server answers 410 Gone it relists and reports the difference as events.
 */
export class Informer<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private reflector: ListWatch | undefined;
  private stopped = false;
  private markStopped: () => void = () => {};
  private readonly stopping = new Promise<void>((resolve) => {
    this.markStopped = resolve;
  });
  private synced = false;
  private readonly indexers = new Map<string, (obj: T) => string[]>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(
    private readonly api: ControllerApi,
    readonly resource: ResourceType,
    private readonly options: InformerOptions = {},
  ) {}

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  /** Maintains a secondary index (e.g. pods by owner uid); add before `start()`. */
  addIndex(name: string, fn: (obj: T) => string[]): void {
    this.indexers.set(name, fn);
    this.indexes.set(name, new Map());
  }

  /** Objects whose index `name` includes `value`. */
  byIndex(name: string, value: string): T[] {
    const keys = this.indexes.get(name)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  /** Lists and starts watching; resolves once the cache holds the initial list. */
  async start(): Promise<void> {
    this.reflector = runReflector<T>(
      watchSource(this.api, this.resource),
      { retryDelayMs: this.options.retryDelayMs ?? 100, maxRetryDelayMs: 5_000 },
      {
        onReplace: (items) => this.replace(items),
        onEvent: (ev) => {
          if (ev.type !== 'ERROR' && ev.type !== 'BOOKMARK') this.apply(ev.type, ev.object);
        },
        onError: (err, retryInMs) =>
          this.options.events?.emit({
            code: 'controllers.watch.retry',
            level: 'debug',
            message: `watch of ${this.resource.resource} ended: ${err instanceof Error ? err.message : String(err)}; retrying in ${retryInMs} ms`,
          }),
      },
    );
    if (this.stopped) void this.reflector.stop();
    // A stop() while the first list is pending ends start() too, as it did before the reflector.
    await Promise.race([this.reflector.synced, this.stopping]);
    this.synced = true;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  /**
   * Records an object this process just wrote, so reconciles right after see it before the
   * watch event arrives. Older versions never replace newer ones.
   */
  assume(obj: T): void {
    this.apply('MODIFIED', obj);
  }

  /** Forgets an object this process just deleted. */
  assumeDeleted(obj: KubeObject): void {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (!old) return;
    this.remove(key);
    this.notify((h) => h.onDelete?.(old));
  }

  stop(): void {
    this.stopped = true;
    this.markStopped();
    void this.reflector?.stop();
  }

  private store(key: string, obj: T): void {
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) {
      const idx = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        let set = idx.get(v);
        if (!set) {
          set = new Set();
          idx.set(v, set);
        }
        set.add(key);
      }
    }
  }

  private remove(key: string): void {
    const old = this.items.get(key);
    if (!old) return;
    this.unindex(key, old);
    this.items.delete(key);
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        set?.delete(key);
        if (set?.size === 0) idx.delete(v);
      }
    }
  }

  /** The complete current set after a (re)list: stores it and reports the difference as events. */
  private replace(items: T[]): void {
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(keyOf(obj));
      this.apply('MODIFIED', obj, true);
    }
    for (const [key, old] of [...this.items]) {
      if (seen.has(key)) continue;
      this.remove(key);
      this.notify((h) => h.onDelete?.(old));
    }
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T, fromList = false): void {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (type === 'DELETED') {
      if (!old) return;
      this.remove(key);
      this.notify((h) => h.onDelete?.(obj));
      return;
    }
    if (old && !fromList && rvNumber(old) > rvNumber(obj) && rvNumber(obj) >= 0) return;
    if (
      old &&
      old.metadata.resourceVersion === obj.metadata.resourceVersion &&
      old.metadata.uid === obj.metadata.uid
    ) {
      this.store(key, obj);
      return;
    }
    this.store(key, obj);
    this.notify((h) => (old ? h.onUpdate?.(obj, old) : h.onAdd?.(obj)));
  }

  /**
   * Calls every handler, each isolated: objects come from the store unvalidated (written by older
   * versions or straight into etcd), so a handler that throws on one must not stop the others,
   * the watch stream, or the process.
   */
  private notify(call: (h: InformerHandlers<T>) => void): void {
    for (const h of this.handlers) {
      try {
        call(h);
      } catch (err) {
        this.options.events?.emit({
          code: 'controllers.handler.failed',
          level: 'warn',
          message: `${this.resource.resource} event handler failed: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
  }
}

/** The ControllerApi's list and callback watch as the reflector's source (a watch is an async stream). */
function watchSource<T extends KubeObject>(api: ControllerApi, resource: ResourceType) {
  return {
    list: () => api.list<T>(resource),
    watch: (resourceVersion: string, signal: AbortSignal) =>
      watchEvents<T>(api, resource, resourceVersion, signal),
  };
}

async function* watchEvents<T extends KubeObject>(
  api: ControllerApi,
  resource: ResourceType,
  resourceVersion: string,
  signal: AbortSignal,
): AsyncGenerator<WatchEvent<T>> {
  const queue: WatchEvent<T>[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const handle = await api.watch<T>(
    resource,
    { resourceVersion },
    {
      onEvent: (type, object) => {
        queue.push({ type, object });
        wake?.();
      },
      onClose: (err) => {
        ended = true;
        failure = err;
        wake?.();
      },
    },
  );
  const onAbort = () => {
    ended = true;
    wake?.();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (ended || signal.aborted) {
        if (failure !== undefined && !signal.aborted) throw failure;
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    handle.stop();
  }
}

/**
 * Handlers calling `fn` with every version an event shows: the added, the deleted, and both the
 * old and new object of an update (a pod that changed labels may concern two owners).
 */
export function everyVersion<T>(fn: (obj: T) => void): InformerHandlers<T> {
  return {
    onAdd: fn,
    onUpdate: (obj, old) => {
      fn(obj);
      fn(old);
    },
    onDelete: fn,
  };
}
