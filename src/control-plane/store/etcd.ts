import { type EventSink, silentEvents } from '../../events.js';
import { EtcdClient, type EtcdHeader, type EtcdKv, num } from './etcd-client.js';
import { mapEtcdError, prefixEnd, withRetry } from './etcd-errors.js';
import { WatchFanout } from './etcd-fanout.js';
import { EtcdKeyspace } from './etcd-keys.js';
import { checkEtcdQuorum } from './etcd-quorum.js';
import type { EtcdStoreOptions } from './etcd-store-options.js';
import { startEndpointSync } from './etcd-sync.js';
import { createTxn, deleteTxn, updateTxn } from './etcd-txn.js';
import { startEtcdWatch } from './etcd-watch.js';
import {
  type DeleteResult,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  StoreError,
  type StoreReadiness,
  type TxnResult,
  type Watch,
  type WatchHandlers,
  type WatchOptions,
} from './types.js';

export type { EtcdTlsOptions } from './etcd-client.js';
export type { EtcdStoreOptions } from './etcd-store-options.js';

interface RangeResponse {
  readonly header: EtcdHeader;
  readonly kvs: readonly EtcdKv[];
  readonly more: boolean;
}

/**
 * Opens a store on etcd. Writes are transactions comparing modRevision (etcd's own optimistic
 * concurrency), reads are linearizable, and requests are retried while a leader is elected.
 */
export async function openEtcdStore(options: EtcdStoreOptions): Promise<Store> {
  if (options.endpoints.length === 0) {
    throw new StoreError(
      'Unavailable',
      'no etcd endpoints given: pass --etcd-endpoints https://HOST:2379[,...]',
    );
  }
  const store = new EtcdStore(options);
  await store.currentRevision();
  store.startCompactor();
  store.startEndpointSync();
  return store;
}

class EtcdStore implements Store {
  // Not private: the store is the EtcdTxnTarget of its own writes (etcd-txn.ts).
  readonly client: EtcdClient;
  readonly keys: EtcdKeyspace;
  private readonly events: EventSink;
  private closed = false;
  private lastReadiness: { at: number; check: Promise<StoreReadiness> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopSync: () => void = () => undefined;
  private readonly watches = new Set<Watch>();
  private readonly fanout = new WatchFanout(
    (key, prefix, start, handlers) => this.openUpstream(key, prefix, start, handlers),
    () => this.currentRevision(),
  );

  constructor(private readonly options: EtcdStoreOptions) {
    this.client = new EtcdClient({
      endpoints: options.endpoints,
      ...(options.tls ? { tls: options.tls } : {}),
    });
    this.keys = new EtcdKeyspace(options.prefix ?? '/tugboat');
    this.events = options.events ?? silentEvents;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return (await this.range(key)).kvs[0];
  }

  async range(key: string, options: RangeOptions = {}): Promise<RangeResult> {
    const from =
      options.prefix && options.startKey !== undefined && options.startKey > key ? options.startKey : key;
    const res = await this.call(`range ${key}`, () =>
      this.rangeCall({
        key: this.keys.full(from),
        ...(options.prefix ? { range_end: prefixEnd(this.keys.full(key)) } : {}),
        ...(options.limit && options.limit > 0 ? { limit: options.limit } : {}),
        ...(options.revision && options.revision > 0 ? { revision: options.revision } : {}),
      }),
    );
    // etcd's header carries the current revision; a read at a past revision happened at that one.
    const revision = options.revision && options.revision > 0 ? options.revision : num(res.header.revision);
    return { kvs: res.kvs.map((kv) => this.keys.toKv(kv)), revision, more: res.more };
  }

  async create(key: string, value: Uint8Array): Promise<TxnResult> {
    this.checkSize(key, value);
    return this.call(`create ${key}`, (retry) => createTxn(this, key, value, retry));
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<TxnResult> {
    this.checkSize(key, value);
    if (!(expectedModRevision > 0)) return { ok: false, current: await this.get(key) };
    return this.call(`update ${key}`, (retry) => updateTxn(this, key, value, expectedModRevision, retry));
  }

  async delete(key: string, expectedModRevision?: number): Promise<DeleteResult> {
    return this.call(`delete ${key}`, (retry) => deleteTxn(this, key, expectedModRevision, retry));
  }

  async watch(key: string, options: WatchOptions, handlers: WatchHandlers): Promise<Watch> {
    this.checkOpen();
    const start = options.startRevision && options.startRevision > 0 ? options.startRevision : undefined;
    const watch = await this.fanout.watch(key, options.prefix ?? false, start, handlers);
    this.watches.add(watch);
    return {
      cancel: async () => {
        this.watches.delete(watch);
        await watch.cancel();
      },
    };
  }

  /** One etcd watch stream from `startRevision`; the fan-out shares these among store watches. */
  private openUpstream(key: string, prefix: boolean, startRevision: number, handlers: WatchHandlers) {
    return startEtcdWatch(
      {
        client: this.client,
        key: this.keys.full(key),
        prefix,
        startRevision,
        toKv: (kv) => this.keys.toKv(kv),
        retryTimeoutMs: this.options.retryTimeoutMs ?? 15_000,
      },
      handlers,
    ).catch((err: unknown) => {
      throw mapEtcdError(err, `etcd watch ${key}`);
    });
  }

  async currentRevision(): Promise<number> {
    const res = await this.call('read revision', () =>
      this.rangeCall({ ...this.keys.everything(), count_only: true }),
    );
    return num(res.header.revision);
  }

  async compact(revision: number): Promise<void> {
    try {
      // physical: the call returns once etcd has really dropped the history, not when it has only
      // scheduled that; otherwise a watch right after may still see a tombstone at `revision`.
      await this.call(`compact ${revision}`, () =>
        this.client.unary('KV', 'Compact', { revision, physical: true }),
      );
    } catch (err) {
      // Compacting to an already-compacted revision is a no-op, as in the embedded store.
      if (err instanceof StoreError && err.reason === 'Compacted') return;
      throw err;
    }
  }

  /** Compacts to the revision of the previous tick; several control planes doing so is harmless. */
  startCompactor(): void {
    const interval = this.options.compactIntervalMs ?? 300_000;
    if (interval <= 0) return;
    let previous: number | undefined;
    this.timer = setInterval(() => {
      this.currentRevision()
        .then(async (current) => {
          if (previous !== undefined && previous > 1) {
            await this.compact(previous);
            this.events.emit({
              code: 'store.compacted',
              level: 'debug',
              message: `compacted etcd history before revision ${previous}`,
              data: { revision: previous },
            });
          }
          previous = current;
        })
        .catch(() => undefined); // etcd unavailable or store closed: try again at the next tick.
    }, interval);
    this.timer.unref();
  }

  /** Keeps the client's endpoints on etcd's members (etcd-sync.ts). */
  startEndpointSync(): void {
    this.stopSync = startEndpointSync(this.client, {
      intervalMs: this.options.endpointSyncIntervalMs ?? 60_000,
      events: this.events,
    });
  }

  /** {@link checkEtcdQuorum}, at most once a second however often `/readyz` is asked. */
  readiness(): Promise<StoreReadiness> {
    const now = Date.now();
    if (!this.lastReadiness || now - this.lastReadiness.at > 1_000) {
      const check = checkEtcdQuorum({
        // The synced endpoints: the configured ones may name replaced masters only.
        endpoints: this.client.endpoints,
        ...(this.options.tls ? { tls: this.options.tls } : {}),
      });
      this.lastReadiness = { at: now, check };
    }
    return this.lastReadiness.check;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.stopSync();
    for (const watch of this.watches) await watch.cancel();
    this.watches.clear();
    this.client.close();
  }

  private async call<T>(what: string, fn: (retry: boolean) => Promise<T>): Promise<T> {
    this.checkOpen();
    try {
      return await withRetry(
        {
          timeoutMs: this.options.retryTimeoutMs ?? 15_000,
          onRetry: (attempt, err) =>
            this.events.emit({
              code: 'store.retry',
              level: 'debug',
              message: `etcd ${what}: retry ${attempt} after ${(err as Error).message}`,
              data: { attempt },
            }),
        },
        fn,
      );
    } catch (err) {
      throw mapEtcdError(err, `etcd ${what}`);
    }
  }

  private rangeCall(request: object): Promise<RangeResponse> {
    return this.client.unary<RangeResponse>('KV', 'Range', request);
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('Unavailable', 'etcd store is closed: open it again');
  }

  private checkSize(key: string, value: Uint8Array): void {
    this.checkOpen();
    const max = this.options.maxValueBytes ?? 1_572_864;
    if (value.length > max) {
      throw new StoreError(
        'TooLarge',
        `value for ${key} is ${value.length} bytes, above the limit of ${max}: store less, or raise maxValueBytes`,
      );
    }
  }
}
