import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Api } from '../../../aws/s3.js';
import { openEmbeddedStore } from '../embedded/embedded-store.js';
import { EtcdClient, type EtcdTlsOptions, type Int64, num } from '../etcd-client.js';
import { prefixEnd } from '../etcd-errors.js';
import { checkEtcdQuorum } from '../etcd-quorum.js';
import type { KeyValue } from '../types.js';
import { restoreBackup } from './backup.js';
import type { StateTarget } from './layout.js';
import { StateRestoreError } from './restore.js';

/** At most this many puts per transaction (etcd's --max-txn-ops is 128). */
const TXN_OPS = 100;
/** At most this many value bytes per transaction (etcd refuses requests over 1.5 MiB). */
const TXN_BYTES = 1 << 20;
/** Keys read from the restored backup at a time. */
const PAGE_KEYS = 500;
/** One transaction may wait this long (a large one is applied by every member). */
const TXN_TIMEOUT_MS = 30_000;

interface TxnResponse {
  readonly header: { readonly revision: Int64 };
  readonly responses: readonly { readonly response_delete_range?: { readonly deleted: Int64 } | null }[];
}

/** Options of {@link restoreEtcdFromBackup}. */
export interface EtcdRestoreOptions {
  readonly s3: S3Api;
  /** Where the backup is (`<prefix>/backups/<name>/`). */
  readonly target: StateTarget;
  /** The backup's name, from `listBackups`. */
  readonly name: string;
  /** Client URLs of the members. */
  readonly endpoints: readonly string[];
  /** @default plain gRPC (loopback only) */
  readonly tls?: EtcdTlsOptions;
  /** The store's key prefix in etcd, as the control plane's. @default '/tugboat' */
  readonly prefix?: string;
}

/** What {@link restoreEtcdFromBackup} did. */
export interface EtcdRestoreResult {
  /** Keys under the prefix before (all deleted). */
  readonly deleted: number;
  /** Keys written: the backup's. */
  readonly keys: number;
  /** etcd's revision after the restore; history before it is compacted. */
  readonly revision: number;
}

/**
 * Replaces the store's keys in etcd with backup `name`: the backup is downloaded and verified (as
 * any restore, into a scratch directory), etcd's quorum checked, then every key under the store's
 * prefix deleted (one DeleteRange) and the backup's keys put in transactions of at most 100 keys
 * and 1 MiB, and etcd compacted to the revision reached, so a watch from before the restore gets
 * 410 Gone and relists instead of replaying the deletes. Every key gets a new revision past all
 * the old ones: no resourceVersion is reused. Not atomic: the control planes must be stopped, and
 * an interrupted restore is repaired by running it again (delete all, put all).
 */
export async function restoreEtcdFromBackup(options: EtcdRestoreOptions): Promise<EtcdRestoreResult> {
  const scratch = await mkdtemp(join(tmpdir(), 'tugboat-etcd-restore-'));
  const client = new EtcdClient({
    endpoints: options.endpoints,
    ...(options.tls ? { tls: options.tls } : {}),
  });
  try {
    const dataDir = join(scratch, 'store');
    await restoreBackup(options.s3, options.target, options.name, dataDir);
    const quorum = await checkEtcdQuorum({
      endpoints: options.endpoints,
      ...(options.tls ? { tls: options.tls } : {}),
    });
    if (!quorum.ok)
      throw new StateRestoreError(
        `cannot restore ${options.name} into etcd: ${quorum.detail}. Bring etcd back first (empty is fine), see docs/ha-masters.md#lost-quorum`,
      );
    const prefix = Buffer.from(`${options.prefix ?? '/tugboat'}/`, 'utf8');
    const full = (key: string) => Buffer.concat([prefix, Buffer.from(key.replace(/^\//, ''), 'utf8')]);
    const txn = (request: object) => client.unary<TxnResponse>('KV', 'Txn', request, 0, TXN_TIMEOUT_MS);
    const removed = await txn({
      compare: [],
      success: [{ request_delete_range: { key: prefix, range_end: prefixEnd(prefix) } }],
      failure: [],
    });
    const deleted = num(removed.responses[0]?.response_delete_range?.deleted);
    let revision = num(removed.header.revision);
    const backup = await openEmbeddedStore({ dataDir });
    let keys = 0;
    try {
      let batch: KeyValue[] = [];
      let bytes = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const success = batch.map((kv) => ({
          request_put: { key: full(kv.key), value: Buffer.from(kv.value) },
        }));
        revision = num((await txn({ compare: [], success, failure: [] })).header.revision);
        keys += batch.length;
        batch = [];
        bytes = 0;
      };
      let startKey: string | undefined;
      for (;;) {
        const page = await backup.range('/', {
          prefix: true,
          limit: PAGE_KEYS,
          ...(startKey === undefined ? {} : { startKey }),
        });
        for (const kv of page.kvs) {
          const size = kv.key.length + kv.value.length;
          if (batch.length >= TXN_OPS || (batch.length > 0 && bytes + size > TXN_BYTES)) await flush();
          batch.push(kv);
          bytes += size;
        }
        const last = page.kvs.at(-1);
        if (!page.more || !last) break;
        startKey = `${last.key}\0`;
      }
      await flush();
    } finally {
      await backup.close();
    }
    await client.unary('KV', 'Compact', { revision, physical: true }, 0, TXN_TIMEOUT_MS);
    return { deleted, keys, revision };
  } finally {
    client.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
