import { isStatus } from '../../client/api-error.js';
import type { EventSink } from '../../events.js';
import type { KubeObject } from '../../kube/index.js';
import type { ControllerApi, WatchHandle } from './api.js';
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
 * A watch-driven cache of one resource type (client-go's shared informer, reduced): list, then
 * watch from the list's resourceVersion; when the watch ends it re-watches from the last seen
 * version, and when the server answers 410 Gone it relists and reports the difference as events.
 */
export class Informer<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private lastVersion = '';
  private watchHandle: WatchHandle | undefined;
  private stopped = false;
  private synced = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
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
    await this.relist();
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
    if (this.timer) clearTimeout(this.timer);
    this.watchHandle?.stop();
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

  private async relist(): Promise<void> {
    const result = await this.api.list<T>(this.resource);
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const obj of result.items) {
      seen.add(keyOf(obj));
      this.apply('MODIFIED', obj, true);
    }
    for (const [key, old] of [...this.items]) {
      if (seen.has(key)) continue;
      this.remove(key);
      this.notify((h) => h.onDelete?.(old));
    }
    this.lastVersion = result.resourceVersion;
    await this.watch();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    this.watchHandle = await this.api.watch<T>(
      this.resource,
      { resourceVersion: this.lastVersion },
      {
        onEvent: (type, obj) => {
          this.failures = 0;
          if (obj.metadata.resourceVersion) this.lastVersion = obj.metadata.resourceVersion;
          if (type === 'BOOKMARK') return;
          this.apply(type, obj);
        },
        onClose: (err) => this.restart(err),
      },
    );
    if (this.stopped) this.watchHandle.stop();
  }

  private restart(err: unknown): void {
    if (this.stopped) return;
    const gone = isStatus(err, 410);
    const delay = Math.min(5_000, (this.options.retryDelayMs ?? 100) * 2 ** this.failures);
    this.failures++;
    if (err && !gone) {
      this.options.events?.emit({
        code: 'controllers.watch.retry',
        level: 'debug',
        message: `watch of ${this.resource.resource} ended: ${err instanceof Error ? err.message : String(err)}; retrying in ${delay} ms`,
      });
    }
    this.timer = setTimeout(
      () => {
        const next = gone ? this.relist() : this.watch();
        next.catch((e: unknown) => this.restart(e));
      },
      gone ? 0 : delay,
    );
    this.timer.unref?.();
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
