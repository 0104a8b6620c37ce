import { open, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventSink } from '../../../events.js';
import { StoreDamageError } from './damage.js';
import {
  countRecordsAfter,
  FILE_HEADER,
  type Found,
  framingOf,
  readFileHeader,
  SNAP_MAGIC,
  WAL_MAGIC,
} from './frame.js';
import { readMeta } from './meta.js';
import { Mvcc } from './mvcc.js';
import { RecordType } from './record.js';
import { isFormat1, type ScanResult, scanFile } from './scan.js';
import { listSnapshots, loadSnapshot } from './snapshot.js';
import { listSegments } from './wal.js';

/** The state rebuilt from a data directory. */
export interface RecoveredState {
  readonly mvcc: Mvcc;
  /** File name of the snapshot it started from, if any. */
  readonly snapshot: string | undefined;
  /** Size of that snapshot. */
  readonly snapshotBytes: number;
  /** Bytes of log replayed on top of the snapshot. */
  readonly logBytes: number;
  /** The newest segment (appends continue there), or undefined for a fresh directory. */
  readonly lastSegment: string | undefined;
  /** Chain value after the last good record: the next record's `prev`. */
  readonly chain: number;
  /** True when some file is in format 1 (tugboat before chained checksums): migrate before writing. */
  readonly legacy: boolean;
  /** True for a directory that held no store yet. */
  readonly fresh: boolean;
  /** True when the directory has its `STORE` meta file. */
  readonly hasMeta: boolean;
  /** Bytes of the newest segment (part of `logBytes`). */
  readonly lastSegmentBytes: number;
}

/**
 * Rebuilds the in-memory state: newest snapshot, then every log record after it, streamed, so no
 * step's memory or stack grows beyond the data itself. Records must continue the revision
 * sequence and the checksum chain. Only a torn tail of the last segment (an append that never
 * finished, so was never acknowledged) is cut, and reported as `store.torn-tail`; any other damage,
 * or a missing log, throws {@link StoreDamageError}.
 */
export async function recoverState(
  dir: string,
  events: EventSink,
  options: { readonly cutTornTail?: boolean } = {},
): Promise<RecoveredState> {
  const mvcc = new Mvcc();
  mvcc.beginLoad();
  const segments = await listSegments(dir);
  const snapshots = await listSnapshots(dir);
  const meta = await readMeta(dir);
  const snap = snapshots.at(-1);
  const newestSegment = segments.at(-1);
  if (!newestSegment) {
    if (!snap && !meta) {
      mvcc.endLoad();
      const empty = { snapshot: undefined, snapshotBytes: 0, logBytes: 0, lastSegment: undefined, chain: 0 };
      return { mvcc, ...empty, legacy: false, fresh: true, hasMeta: false, lastSegmentBytes: 0 };
    }
    throw missing(dir, meta?.segment ?? 'wal-*.log', 'no segment at all', mvcc.revision);
  }
  if (meta && meta.segment > newestSegment.name)
    throw missing(dir, meta.segment, `the newest segment is ${newestSegment.name}`, mvcc.revision);
  let legacy = false;
  let snapshotBytes = 0;
  if (snap) {
    const loaded = await loadSnapshot(dir, snap.name, mvcc);
    snapshotBytes = loaded.bytes;
    const damage = loaded.scan.damage;
    if (damage) {
      throw new StoreDamageError('snapshot', dir, snap.name, damage.offset, 0, 0, damage.reason);
    }
    legacy ||= loaded.scan.format === 1;
  }
  // Start at the newest segment that holds the revision after the snapshot (older ones are kept
  // only as a way back if this snapshot is ever damaged).
  const start = mvcc.revision + 1;
  const from = segments.findLastIndex((s) => s.first <= start);
  if (from < 0)
    throw missing(dir, `wal-* up to revision ${start}`, `the oldest is ${segments[0]!.name}`, mvcc.revision);
  let logBytes = 0;
  let chain = 0;
  let previous: ScanResult | undefined;
  for (let i = from; i < segments.length; i++) {
    const name = segments[i]!.name;
    const last = i === segments.length - 1;
    let scan = await scanFile(join(dir, name), WAL_MAGIC, (r) => {
      if (r.type === RecordType.Compact) {
        mvcc.compact(r.revision);
        return undefined;
      }
      if (r.type !== RecordType.Put && r.type !== RecordType.Delete) return `record type ${r.type} in a log`;
      if (r.revision <= mvcc.revision) return undefined; // already in the snapshot
      if (r.revision !== mvcc.revision + 1) return `revision ${r.revision} does not follow ${mvcc.revision}`;
      if (r.type === RecordType.Put) mvcc.put(r.key, r.value, r.revision);
      else if (!mvcc.delete(r.key, r.revision)) return `delete of ${r.key}, which does not exist`;
      return undefined;
    });
    legacy ||= scan.format === 1;
    if (previous?.format === 2 && scan.format === 2 && !scan.damage && scan.seed !== previous.lastCrc) {
      const after = { count: Number.POSITIVE_INFINITY };
      const reason = `does not continue the checksum chain of ${segments[i - 1]!.name}`;
      scan = { ...scan, damage: { offset: 0, reason, torn: false, after } };
    }
    const damage = scan.damage;
    if (damage && !(last && damage.torn)) {
      const dropped = await countLaterWrites(
        dir,
        segments.slice(i + 1).map((s) => s.name),
        damage.after,
      );
      throw new StoreDamageError('segment', dir, name, damage.offset, mvcc.revision, dropped, damage.reason);
    }
    if (damage && options.cutTornTail !== false) {
      await truncateDurably(join(dir, name), scan.validEnd);
      events.emit({
        code: 'store.torn-tail',
        level: 'warn',
        message: `cut ${scan.size - scan.validEnd} torn bytes (an append that never finished, so was never acknowledged) off ${name}`,
        data: { segment: name, offset: scan.validEnd, droppedBytes: scan.size - scan.validEnd },
      });
    }
    logBytes += scan.validEnd;
    chain = scan.validEnd === 0 ? (previous?.lastCrc ?? 0) : scan.lastCrc;
    previous = scan;
  }
  mvcc.endLoad();
  legacy ||= await anyLegacy(
    dir,
    segments.slice(0, from).map((s) => s.name),
    WAL_MAGIC,
  );
  legacy ||= await anyLegacy(
    dir,
    snapshots.slice(0, -1).map((s) => s.name),
    SNAP_MAGIC,
  );
  const lastSegment = newestSegment.name;
  const lastSegmentBytes = previous?.validEnd ?? 0;
  const found = { lastSegment, lastSegmentBytes, chain, legacy, fresh: false, hasMeta: meta !== undefined };
  return { mvcc, snapshot: snap?.name, snapshotBytes, logBytes, ...found };
}

function missing(dir: string, file: string, detail: string, revision: number): StoreDamageError {
  return new StoreDamageError('missing-log', dir, file, 0, revision, Number.POSITIVE_INFINITY, detail);
}

/** Truncates a file (a torn tail away, or at a repair's cut) and makes the new length durable. */
export async function truncateDurably(path: string, length: number): Promise<void> {
  await truncate(path, length);
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Adds the writes in whole segments after a damaged one (what cutting at the damage drops). */
export async function countLaterWrites(dir: string, names: string[], found: Found): Promise<number> {
  const total: Found = { ...found };
  for (const name of names) {
    const data = await readFile(join(dir, name));
    const header = readFileHeader(data.subarray(0, FILE_HEADER), data.length, WAL_MAGIC);
    const f = framingOf(header.kind === 'v1' ? 'v1' : 'v2');
    countRecordsAfter(f, data.subarray(header.kind === 'v1' ? 0 : FILE_HEADER), total);
  }
  return total.count;
}

async function anyLegacy(dir: string, names: string[], magic: Buffer): Promise<boolean> {
  for (const name of names) if (await isFormat1(join(dir, name), magic)) return true;
  return false;
}
