import { type EtcdClient, type EtcdHeader, type EtcdKv, num } from './etcd-client.js';
import type { EtcdKeyspace } from './etcd-keys.js';
import type { DeleteResult, KeyValue, TxnResult } from './types.js';

/**
 * The store's writes as etcd transactions comparing `create_revision` (create) or `mod_revision`
 * (update, delete): etcd's own optimistic concurrency. Each is run once per attempt by the
 * store's retry loop; `retry` says an earlier attempt may already have been applied (its reply
 * lost), and each write recognises that case from what the failed comparison reads back.
 */
export interface EtcdTxnTarget {
  readonly client: EtcdClient;
  readonly keys: EtcdKeyspace;
}

interface TxnResponse {
  readonly header: EtcdHeader;
  readonly succeeded: boolean;
  readonly responses: readonly {
    readonly response_range?: { readonly kvs: readonly EtcdKv[] } | null;
    readonly response_put?: { readonly prev_kv?: EtcdKv | null } | null;
    readonly response_delete_range?: { readonly prev_kvs: readonly EtcdKv[] } | null;
  }[];
}

const WRITE_TIMEOUT_MS = 2_000;

/**
 * Writes get a shorter deadline than reads: when the leader dies, etcd holds a write proposed
 * through a follower until its own request timeout (5 s + 2 election timeouts) before failing
 * it, so the store gives up after 2 s and retries (a retry recognises an applied first attempt).
 * That took leader failover from ~5.2 s to the election time (bench/store-etcd.md).
 */
function txn(target: EtcdTxnTarget, request: object): Promise<TxnResponse> {
  return target.client.unary<TxnResponse>('KV', 'Txn', request, undefined, WRITE_TIMEOUT_MS);
}

function failedRange(target: EtcdTxnTarget, res: TxnResponse): KeyValue | undefined {
  const kv = res.responses[0]?.response_range?.kvs?.[0];
  return kv ? target.keys.toKv(kv) : undefined;
}

/** Creates `key` if it does not exist. */
export async function createTxn(
  target: EtcdTxnTarget,
  key: string,
  value: Uint8Array,
  retry: boolean,
): Promise<TxnResult> {
  const k = target.keys.full(key);
  const res = await txn(target, {
    compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
    success: [{ request_put: { key: k, value: Buffer.from(value) } }],
    failure: [{ request_range: { key: k } }],
  });
  const revision = num(res.header.revision);
  if (res.succeeded) return { ok: true, kv: { key, value, createRevision: revision, modRevision: revision } };
  const current = failedRange(target, res);
  // A retried create that finds exactly its own value was applied by the earlier attempt.
  if (retry && current && Buffer.from(current.value).equals(Buffer.from(value)))
    return { ok: true, kv: current };
  return { ok: false, current };
}

/** Replaces `key` if its modRevision is still `expectedModRevision`. */
export async function updateTxn(
  target: EtcdTxnTarget,
  key: string,
  value: Uint8Array,
  expectedModRevision: number,
  retry: boolean,
): Promise<TxnResult> {
  const k = target.keys.full(key);
  const res = await txn(target, {
    compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
    success: [{ request_put: { key: k, value: Buffer.from(value), prev_kv: true } }],
    failure: [{ request_range: { key: k } }],
  });
  const revision = num(res.header.revision);
  if (res.succeeded) {
    const prev = res.responses[0]?.response_put?.prev_kv;
    const createRevision = prev ? num(prev.create_revision) : revision;
    return { ok: true, kv: { key, value, createRevision, modRevision: revision } };
  }
  const current = failedRange(target, res);
  if (
    retry &&
    current &&
    current.modRevision > expectedModRevision &&
    Buffer.from(current.value).equals(Buffer.from(value))
  ) {
    return { ok: true, kv: current };
  }
  return { ok: false, current };
}

/** Deletes `key`, only if its modRevision is still `expectedModRevision` when that is given. */
export async function deleteTxn(
  target: EtcdTxnTarget,
  key: string,
  expectedModRevision: number | undefined,
  retry: boolean,
): Promise<DeleteResult> {
  const k = target.keys.full(key);
  const res = await txn(target, {
    compare:
      expectedModRevision === undefined
        ? []
        : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedModRevision }],
    success: [{ request_delete_range: { key: k, prev_kv: true } }],
    failure: [{ request_range: { key: k } }],
  });
  const revision = num(res.header.revision);
  if (res.succeeded) {
    const deleted = res.responses[0]?.response_delete_range;
    const prevKv = deleted?.prev_kvs?.[0];
    if (prevKv) return { ok: true, revision, prev: target.keys.toKv(prevKv) };
    // Nothing deleted: missing key, unless our earlier attempt already deleted it.
    return { ok: retry, revision, prev: undefined };
  }
  const current = failedRange(target, res);
  return { ok: retry && current === undefined, revision, prev: current };
}
