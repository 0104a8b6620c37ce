import { readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyValue } from '../types.js';
import { FILE_MODE, type StoreFileSystem } from './file-io.js';
import { encodeFileHeader, encodeFrame, SNAP_MAGIC } from './frame.js';
import type { HistoryEvent, Mvcc } from './mvcc.js';
import { encodePayload, RecordType, type StoreRecord } from './record.js';
import { type ScanResult, scanFile } from './scan.js';
import { syncDir } from './wal.js';

const SNAPSHOT = /^snapshot-(\d{16})\.snap$/;

/** File name of the snapshot at `revision` (sortable by name). */
export function snapshotName(revision: number): string {
  return `snapshot-${String(revision).padStart(16, '0')}.snap`;
}

/** Snapshots in the directory, oldest first. */
export async function listSnapshots(dir: string): Promise<{ name: string; revision: number }[]> {
  return (await readdir(dir))
    .map((name) => ({ name, match: SNAPSHOT.exec(name) }))
    .filter((s) => s.match)
    .map((s) => ({ name: s.name, revision: Number(s.match![1]) }))
    .sort((a, b) => a.revision - b.revision);
}

/** Everything needed to rebuild the in-memory state as of `revision`. */
export interface SnapshotData {
  readonly revision: number;
  readonly compactRevision: number;
  readonly kvs: readonly KeyValue[];
  readonly history: readonly HistoryEvent[];
}

/** What {@link writeSnapshot} takes: the keys may come as an async iterable (a backup read page by page), never all held. */
export type SnapshotSource = Omit<SnapshotData, 'kvs'> & {
  readonly kvs: Iterable<KeyValue> | AsyncIterable<KeyValue>;
};

/**
 * Writes a snapshot atomically: records go to a temp file (0600) that is fsync'd, renamed into
 * place and the directory fsync'd, so a crash leaves either the old snapshots or the complete new
 * one. Snapshots other than the new one and `keep` are removed afterwards. Written in chunks so a
 * large state does not block the loop. Returns the file name and its size.
 */
export async function writeSnapshot(
  dir: string,
  data: SnapshotSource,
  fs: StoreFileSystem,
  keep?: string,
): Promise<{ name: string; bytes: number }> {
  const name = snapshotName(data.revision);
  const tmp = join(dir, `${name}.tmp`);
  const fh = await fs.open(tmp, 'w', FILE_MODE);
  let count = 0;
  let chain = 0;
  let bytes = 0;
  try {
    let chunk: Buffer[] = [encodeFileHeader(SNAP_MAGIC, 0)];
    let chunkBytes = chunk[0]!.length;
    const flush = async () => {
      const buf = Buffer.concat(chunk);
      let written = 0;
      while (written < buf.length)
        written += (await fh.write(buf, written, buf.length - written)).bytesWritten;
      bytes += buf.length;
      chunk = [];
      chunkBytes = 0;
    };
    const push = async (record: StoreRecord, counted = true) => {
      const frame = encodeFrame(encodePayload(record), chain);
      chain = frame.crc;
      chunk.push(frame.bytes);
      chunkBytes += frame.bytes.length;
      if (counted) count++;
      if (chunkBytes >= 1 << 20) await flush();
    };
    const empty = new Uint8Array(0);
    await push({
      type: RecordType.SnapshotMeta,
      revision: data.revision,
      createRevision: data.compactRevision,
      key: '',
      value: empty,
    });
    for await (const kv of data.kvs)
      await push({ type: RecordType.SnapshotKv, revision: kv.modRevision, ...kv });
    for (const e of data.history) {
      await push({
        type: e.type === 'put' ? RecordType.Put : RecordType.Delete,
        revision: e.revision,
        createRevision: e.kv.createRevision,
        key: e.kv.key,
        value: e.kv.value,
        prev: e.prev,
      });
    }
    const end = { type: RecordType.SnapshotEnd, revision: data.revision, createRevision: count };
    await push({ ...end, key: '', value: empty }, false);
    await flush();
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
  for (const other of await readdir(dir)) {
    const old = (SNAPSHOT.test(other) && other !== name && other !== keep) || other.endsWith('.snap.tmp');
    if (old) await unlink(join(dir, other));
  }
  return { name, bytes };
}

/** What loading a snapshot gave: its revisions, or where it is damaged. */
export interface LoadedSnapshot {
  readonly revision: number;
  readonly compactRevision: number;
  readonly bytes: number;
  readonly scan: ScanResult;
}

/**
 * Streams snapshot `name` into `mvcc` (which must be empty). A snapshot is complete or it is
 * damaged: it was renamed into place only after its fsync, so any defect (including a missing
 * end record) is reported through `scan.damage`, never cut.
 */
export async function loadSnapshot(dir: string, name: string, mvcc: Mvcc): Promise<LoadedSnapshot> {
  let index = 0;
  let ended = false;
  const at = Date.now();
  const scan = await scanFile(join(dir, name), SNAP_MAGIC, (r) => {
    const i = index++;
    if (ended) return 'record after the snapshot end record';
    if (i === 0) {
      if (r.type !== RecordType.SnapshotMeta) return 'first record is not the snapshot header';
      mvcc.revision = r.revision;
      mvcc.compactRevision = r.createRevision;
      return undefined;
    }
    const kv = { key: r.key, value: r.value, createRevision: r.createRevision, modRevision: r.revision };
    switch (r.type) {
      case RecordType.SnapshotKv:
        mvcc.restoreKv(kv);
        return undefined;
      case RecordType.Put:
      case RecordType.Delete:
        mvcc.restoreEvent({
          type: r.type === RecordType.Put ? 'put' : 'delete',
          kv,
          prev: r.prev,
          revision: r.revision,
          at,
        });
        return undefined;
      case RecordType.SnapshotEnd:
        ended = true;
        return r.createRevision === i
          ? undefined
          : `end record counts ${r.createRevision} records, found ${i}`;
      default:
        return `record type ${r.type} does not belong in a snapshot`;
    }
  });
  if (!scan.damage && !ended) {
    const after = { count: 0 };
    const damage = { offset: scan.validEnd, reason: 'snapshot has no end record', torn: false, after };
    return {
      revision: mvcc.revision,
      compactRevision: mvcc.compactRevision,
      bytes: scan.size,
      scan: { ...scan, damage },
    };
  }
  return {
    revision: mvcc.revision,
    compactRevision: mvcc.compactRevision,
    bytes: (await stat(join(dir, name))).size,
    scan,
  };
}
