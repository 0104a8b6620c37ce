import type { EtcdClient, EtcdHeader, EtcdKv, EtcdWatchStream, Int64 } from './etcd-client.js';
import { num } from './etcd-client.js';
import { isTransientEtcdError, prefixEnd } from './etcd-errors.js';
import { type KeyValue, StoreError, type Watch, type WatchEvent, type WatchHandlers } from './types.js';

/** What {@link startEtcdWatch} needs; the backend fills it in. */
export interface EtcdWatchSpec {
  readonly client: EtcdClient;
  /** Full etcd key (store prefix included). */
  readonly key: Buffer;
  readonly prefix: boolean;
  /** First revision to deliver; undefined means "from now". */
  readonly startRevision: number | undefined;
  /** Strips the store prefix from etcd keys. */
  readonly toKv: (kv: EtcdKv) => KeyValue;
  /** Give up reconnecting after this long without a working stream. */
  readonly retryTimeoutMs: number;
}

/** etcdserverpb.WatchResponse as decoded. */
interface WatchResponse {
  readonly header: EtcdHeader;
  readonly created: boolean;
  readonly canceled: boolean;
  readonly compact_revision: Int64;
  readonly cancel_reason: string;
  readonly events: readonly {
    readonly type: number;
    readonly kv: EtcdKv;
    readonly prev_kv?: EtcdKv | null;
  }[];
}

/** mvccpb.Event.EventType DELETE. */
const DELETE = 1;

/**
 * One store watch on its own gRPC watch stream (etcd multiplexes streams over one connection).
 * The stream is re-created after a member failure, resuming after the last delivered revision, so
 * no event is lost or repeated. A compacted start ends the watch with StoreError 'Compacted'.
 */
export async function startEtcdWatch(spec: EtcdWatchSpec, handlers: WatchHandlers): Promise<Watch> {
  let done = false;
  /** The stream in use; `ended` once it failed or was left, after which its data is ignored. */
  let active: { stream: EtcdWatchStream; endpoint: string; ended: boolean } | undefined;
  /** Next revision to ask for when (re)connecting. */
  let next = spec.startRevision;
  let failingSince: number | undefined;

  const stop = () => {
    done = true;
    unsubscribe();
    active?.stream.cancel();
  };

  const finish = (err: StoreError) => {
    if (done) return;
    stop();
    try {
      handlers.onError(err);
    } catch {
      // The watch is over either way.
    }
  };

  /** Settles the pending connect() once etcd confirms (or refuses) the watch. */
  let settleConnect: (() => void) | undefined;
  const settle = () => {
    settleConnect?.();
    settleConnect = undefined;
  };

  const onResponse = (res: WatchResponse) => {
    if (res.created || res.canceled) settle();
    if (done) return;
    failingSince = undefined;
    const compactRevision = num(res.compact_revision);
    if (compactRevision > 0) {
      finish(
        new StoreError(
          'Compacted',
          `watch from revision ${next} is too old (oldest available ${compactRevision}): list again and watch from its revision`,
          compactRevision,
        ),
      );
      return;
    }
    if (res.canceled) {
      finish(
        new StoreError('Unavailable', `etcd cancelled the watch (${res.cancel_reason || 'no reason given'})`),
      );
      return;
    }
    if (res.created && next === undefined) next = num(res.header.revision) + 1;
    const events = (res.events ?? []).map((e): WatchEvent => {
      const kv = spec.toKv(e.kv);
      const prev = e.prev_kv ? spec.toKv(e.prev_kv) : undefined;
      return e.type === DELETE ? { type: 'delete', kv, prev } : { type: 'put', kv, prev };
    });
    if (events.length === 0) return;
    next = events[events.length - 1]!.kv.modRevision + 1;
    try {
      handlers.onEvents(events);
    } catch (err) {
      finish(
        new StoreError('Unavailable', `watch handler threw (${(err as Error).message}): the watch was ended`),
      );
    }
  };

  const connect = async (): Promise<void> => {
    const { stream: s, endpoint } = spec.client.watch();
    if (done) {
      s.cancel();
      return;
    }
    const conn = { stream: s, endpoint, ended: false };
    active = conn;
    const confirmed = new Promise<void>((resolve) => {
      settleConnect = resolve;
    });
    const lost = (err: Error) => {
      if (conn.ended) return;
      conn.ended = true;
      settle();
      if (done) return;
      failingSince ??= Date.now();
      if (isTransientEtcdError(err)) spec.client.failover(endpoint);
      if (!isTransientEtcdError(err) && !/ended|cancel/i.test(err.message)) {
        finish(new StoreError('Unavailable', `etcd watch failed (${err.message})`));
        return;
      }
      reconnect();
    };
    // Data of a stream that was left is dropped: `next` was not advanced past it, so the stream
    // that replaces it delivers it again, once.
    s.on('data', (res) => {
      if (!conn.ended) onResponse(res as unknown as WatchResponse);
    });
    s.on('error', lost);
    s.on('end', () => lost(new Error('watch stream ended')));
    const request = {
      create_request: {
        key: spec.key,
        range_end: spec.prefix ? prefixEnd(spec.key) : undefined,
        start_revision: next,
        prev_kv: true,
      },
    };
    s.write(request);
    // Events written after watch() resolves must be seen, so wait until etcd has created the watch.
    await confirmed;
  };

  const reconnect = () => {
    if (done) return;
    if (failingSince !== undefined && Date.now() - failingSince > spec.retryTimeoutMs) {
      finish(new StoreError('Unavailable', `etcd watch could not reconnect for ${spec.retryTimeoutMs} ms`));
      return;
    }
    const timer = setTimeout(() => {
      connect().catch(() => {
        failingSince ??= Date.now();
        reconnect();
      });
    }, 250);
    timer.unref();
  };

  /** The endpoint list changed (etcd-sync.ts) and no longer names ours: resume on a listed one. */
  const unsubscribe = spec.client.onEndpointsChanged(() => {
    const conn = active;
    if (done || !conn || conn.ended || spec.client.endpoints.includes(conn.endpoint)) return;
    conn.ended = true;
    settle();
    conn.stream.cancel();
    reconnect();
  });

  await connect();
  return { cancel: async () => stop() };
}
