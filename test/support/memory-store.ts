import {
  type DeleteResult,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  StoreError,
  type TxnResult,
  type Watch,
  type WatchEvent,
  type WatchHandlers,
  type WatchOptions,
} from '../../src/control-plane/store/types.js';

interface Watcher {
  readonly key: string;
  readonly prefix: boolean;
  readonly handlers: WatchHandlers;
  cancelled: boolean;
}

/**
 * An honest in-memory Store for API-server tests: revisioned history per key, watch from any
 * retained revision (delivered asynchronously, in order), and compaction that makes older
 * revisions fail with `Compacted`. Not durable; the real backends live in src/control-plane/store.
 */
export class MemoryStore implements Store {
  private revision = 0;
  /** The oldest revision whose events are still retained. */
  private firstRetained = 1;
  /** Every change in revision order, kept until compaction. */
  private log: WatchEvent[] = [];
  private readonly current = new Map<string, KeyValue>();
  private readonly watchers = new Set<Watcher>();

  async get(key: string): Promise<KeyValue | undefined> {
    return this.current.get(key);
  }

  async range(key: string, options: RangeOptions = {}): Promise<RangeResult> {
    const at = options.revision ?? this.revision;
    if (at < this.firstRetained - 1 && options.revision !== undefined) {
      throw new StoreError('Compacted', `revision ${at} is compacted`, this.firstRetained);
    }
    if (at > this.revision) throw new StoreError('FutureRevision', `revision ${at} is in the future`);
    const state = at === this.revision ? this.current : this.stateAt(at);
    const keys = [...state.keys()]
      .filter((k) => (options.prefix ? k.startsWith(key) : k === key))
      .filter((k) => options.startKey === undefined || k >= options.startKey)
      .sort();
    const limit = options.limit && options.limit > 0 ? options.limit : keys.length;
    const kvs = keys.slice(0, limit).map((k) => state.get(k)!);
    return { kvs, revision: this.revision, more: keys.length > limit };
  }

  private stateAt(revision: number): Map<string, KeyValue> {
    const state = new Map<string, KeyValue>(this.current);
    for (let i = this.log.length - 1; i >= 0; i--) {
      const ev = this.log[i]!;
      if (ev.kv.modRevision <= revision) break;
      if (ev.prev) state.set(ev.kv.key, ev.prev);
      else state.delete(ev.kv.key);
    }
    return state;
  }

  async create(key: string, value: Uint8Array): Promise<TxnResult> {
    const existing = this.current.get(key);
    if (existing) return { ok: false, current: existing };
    return { ok: true, kv: this.put(key, value, undefined) };
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<TxnResult> {
    const existing = this.current.get(key);
    if (!existing || existing.modRevision !== expectedModRevision) return { ok: false, current: existing };
    return { ok: true, kv: this.put(key, value, existing) };
  }

  async delete(key: string, expectedModRevision?: number): Promise<DeleteResult> {
    const existing = this.current.get(key);
    if (!existing || (expectedModRevision !== undefined && existing.modRevision !== expectedModRevision)) {
      return { ok: false, revision: this.revision, prev: existing };
    }
    this.revision++;
    this.current.delete(key);
    const kv: KeyValue = { key, value: new Uint8Array(), createRevision: 0, modRevision: this.revision };
    this.publish({ type: 'delete', kv, prev: existing });
    return { ok: true, revision: this.revision, prev: existing };
  }

  private put(key: string, value: Uint8Array, prev: KeyValue | undefined): KeyValue {
    this.revision++;
    const kv: KeyValue = {
      key,
      value: new Uint8Array(value),
      createRevision: prev?.createRevision ?? this.revision,
      modRevision: this.revision,
    };
    this.current.set(key, kv);
    this.publish({ type: 'put', kv, prev });
    return kv;
  }

  private publish(event: WatchEvent): void {
    this.log.push(event);
    for (const w of this.watchers) {
      if (matches(w, event.kv.key)) queueMicrotask(() => !w.cancelled && w.handlers.onEvents([event]));
    }
  }

  async watch(key: string, options: WatchOptions, handlers: WatchHandlers): Promise<Watch> {
    const start = options.startRevision ?? this.revision + 1;
    const watcher: Watcher = { key, prefix: options.prefix ?? false, handlers, cancelled: false };
    if (start < this.firstRetained) {
      const err = new StoreError('Compacted', `revision ${start} is compacted`, this.firstRetained);
      queueMicrotask(() => handlers.onError(err));
      return { cancel: async () => {} };
    }
    const backlog = this.log.filter((e) => e.kv.modRevision >= start && matches(watcher, e.kv.key));
    if (backlog.length > 0) queueMicrotask(() => !watcher.cancelled && handlers.onEvents(backlog));
    this.watchers.add(watcher);
    return {
      cancel: async () => {
        watcher.cancelled = true;
        this.watchers.delete(watcher);
      },
    };
  }

  async currentRevision(): Promise<number> {
    return this.revision;
  }

  async compact(revision: number): Promise<void> {
    if (revision <= this.firstRetained) return;
    this.firstRetained = Math.min(revision, this.revision + 1);
    this.log = this.log.filter((e) => e.kv.modRevision >= this.firstRetained);
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.cancelled = true;
    this.watchers.clear();
  }
}

function matches(w: Watcher, key: string): boolean {
  return w.prefix ? key.startsWith(w.key) : key === w.key;
}
