import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type KeyValue, StoreError } from '../types.js';
import type { HistoryEvent } from './mvcc.js';
import { decodeRecords, encodeRecord, RecordType } from './record.js';
import { syncDir } from './wal.js';

const SNAPSHOT = /^snapshot-(\d{16})\.snap$/;

/** Everything needed to rebuild the in-memory state as of `revision`. */
export interface SnapshotData {
  readonly revision: number;
  readonly compactRevision: number;
  readonly kvs: readonly KeyValue[];
  readonly history: readonly HistoryEvent[];
}

/**
 * Writes a snapshot atomically: records go to a temp file that is fsync'd, renamed into place and
 * the directory fsync'd, so a crash leaves either the old snapshot or the complete new one. Older
 * snapshots are removed afterwards. Written in chunks so a large state does not block the loop.
 */
export async function writeSnapshot(dir: string, data: SnapshotData): Promise<string> {
  const name = `snapshot-${String(data.revision).padStart(16, '0')}.snap`;
  const tmp = join(dir, `${name}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  let count = 0;
  try {
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    const push = async (buf: Buffer) => {
      chunk.push(buf);
      chunkBytes += buf.length;
      count++;
      if (chunkBytes >= 1 << 20) await flush();
    };
    const flush = async () => {
      if (chunk.length === 0) return;
      await fh.write(Buffer.concat(chunk));
      chunk = [];
      chunkBytes = 0;
    };
    const empty = new Uint8Array(0);
    await push(
      encodeRecord({
        type: RecordType.SnapshotMeta,
        revision: data.revision,
        createRevision: data.compactRevision,
        key: '',
        value: empty,
      }),
    );
    for (const kv of data.kvs) {
      await push(encodeRecord({ type: RecordType.SnapshotKv, revision: kv.modRevision, ...kv }));
    }
    for (const e of data.history) {
      await push(
        encodeRecord({
          type: e.type === 'put' ? RecordType.Put : RecordType.Delete,
          revision: e.revision,
          createRevision: e.kv.createRevision,
          key: e.kv.key,
          value: e.kv.value,
          prev: e.prev,
        }),
      );
    }
    await flush();
    await fh.write(
      encodeRecord({
        type: RecordType.SnapshotEnd,
        revision: data.revision,
        createRevision: count,
        key: '',
        value: empty,
      }),
    );
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
  for (const other of await readdir(dir)) {
    if (other !== name && (SNAPSHOT.test(other) || other.endsWith('.snap.tmp')))
      await unlink(join(dir, other));
  }
  return name;
}

/** Loads the newest complete snapshot, or undefined when there is none. */
export async function readLatestSnapshot(
  dir: string,
): Promise<(SnapshotData & { name: string }) | undefined> {
  const names = (await readdir(dir)).filter((n) => SNAPSHOT.test(n)).sort();
  const name = names[names.length - 1];
  if (name === undefined) return undefined;
  {
    const decoded = decodeRecords(await readFile(join(dir, name)));
    const records = decoded.records;
    const meta = records[0];
    const end = records[records.length - 1];
    const complete =
      !decoded.corrupt &&
      meta?.type === RecordType.SnapshotMeta &&
      end?.type === RecordType.SnapshotEnd &&
      end.createRevision === records.length - 1;
    if (!complete) {
      throw new StoreError(
        'Unavailable',
        `snapshot ${join(dir, name)} is incomplete or corrupt: restore the data dir from a backup`,
      );
    }
    const kvs: KeyValue[] = [];
    const history: HistoryEvent[] = [];
    const at = Date.now();
    for (const r of records.slice(1, -1)) {
      if (r.type === RecordType.SnapshotKv) {
        kvs.push({ key: r.key, value: r.value, createRevision: r.createRevision, modRevision: r.revision });
      } else {
        const type = r.type === RecordType.Put ? 'put' : 'delete';
        const kv = { key: r.key, value: r.value, createRevision: r.createRevision, modRevision: r.revision };
        history.push({ type, kv, prev: r.prev, revision: r.revision, at });
      }
    }
    return { name, revision: meta.revision, compactRevision: meta.createRevision, kvs, history };
  }
}
