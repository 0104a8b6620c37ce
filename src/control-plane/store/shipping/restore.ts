import { mkdir, open, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Api } from '../../../aws/s3.js';
import { TugboatError } from '../../../errors.js';
import { type EventSink, silentEvents } from '../../../events.js';
import { DIR_MODE, FILE_MODE, nodeFileSystem } from '../embedded/file-io.js';
import { encodeFileHeader, WAL_MAGIC } from '../embedded/frame.js';
import { writeMeta } from '../embedded/meta.js';
import { recoverState } from '../embedded/recover.js';
import { snapshotName, writeSnapshot } from '../embedded/snapshot.js';
import { segmentName, syncDir } from '../embedded/wal.js';
import {
  type LogObject,
  logPrefix,
  parseLogs,
  parseSnaps,
  type SnapObject,
  type StateTarget,
  s3Url,
  snapPrefix,
} from './layout.js';

/** Log objects downloaded at once while restoring. */
const DOWNLOADS = 8;

/** The shipped state is unusable (a gap in the log, a damaged object): nothing was restored. */
export class StateRestoreError extends TugboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STATE_RESTORE_FAILED', message, options);
  }
}

/** The newest shipped state: a snapshot and the log chunks after it, in order, without a gap. */
export interface ShippedState {
  readonly generation: number;
  readonly snapshot: SnapObject;
  readonly chunks: readonly LogObject[];
  /** The revision the state reaches. */
  readonly revision: number;
}

/**
 * Finds the newest state in S3: the newest generation that shipped a snapshot (each writer ships
 * one as it starts, so a later generation's state supersedes everything before it; what a fenced
 * writer shipped after that is not part of it), its newest snapshot, and every log chunk of that
 * generation after it. A missing chunk is refused with the revisions it would lose. Undefined when
 * nothing was shipped yet.
 */
export async function findShippedState(s3: S3Api, target: StateTarget): Promise<ShippedState | undefined> {
  const snaps = parseSnaps(await s3.listKeys(target.ref, snapPrefix(target)));
  const snapshot = snaps.at(-1);
  if (!snapshot) return undefined;
  const logs = parseLogs(await s3.listKeys(target.ref, logPrefix(target, snapshot.generation)));
  // A retried upload after an ambiguous failure may leave a shorter chunk with the same start
  // (the retry read further): the longer one holds it all.
  const longest = new Map<number, LogObject>();
  for (const chunk of logs)
    if ((longest.get(chunk.first)?.last ?? -1) < chunk.last) longest.set(chunk.first, chunk);
  const chunks: LogObject[] = [];
  let revision = snapshot.revision;
  for (const chunk of [...longest.values()].sort((a, b) => a.first - b.first)) {
    if (chunk.last <= revision) continue;
    if (chunk.first > revision + 1) {
      throw new StateRestoreError(
        `the shipped log has a gap: revisions ${revision + 1}-${chunk.first - 1} of generation ${snapshot.generation} are missing before ${s3Url(target, chunk.key)}; restoring would lose acknowledged writes. Restore an older backup, or pass the state up to revision ${revision} explicitly`,
      );
    }
    chunks.push(chunk);
    revision = chunk.last;
  }
  return { generation: snapshot.generation, snapshot, chunks, revision };
}

/** What `restoreState` rebuilt. */
export interface RestoredState {
  readonly generation: number;
  readonly revision: number;
  readonly keys: number;
  readonly chunks: number;
}

/** Options for {@link restoreState}. */
export interface RestoreStateOptions {
  readonly s3: S3Api;
  readonly target: StateTarget;
  /** Must not exist or be empty; the restored store is written there. */
  readonly dataDir: string;
  /** Restore this state instead of looking it up (e.g. a backup's snapshot). @default findShippedState */
  readonly state?: ShippedState;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/**
 * Rebuilds an embedded-store data directory from the shipped state. The snapshot and chunks are
 * downloaded one at a time into a staging directory as a snapshot file and log segments, and read
 * there by the store's own recovery, so every record's checksum, the checksum chain across chunks
 * and the revision sequence are verified; any damage, or a state that ends short of the revision
 * the chunk names promise, is refused. The data directory then gets one snapshot of the result and
 * an empty log segment: a store that `openEmbeddedStore` opens at that revision.
 */
export async function restoreState(options: RestoreStateOptions): Promise<RestoredState | undefined> {
  const { s3, target, dataDir } = options;
  const events = options.events ?? silentEvents;
  await mkdir(dataDir, { recursive: true, mode: DIR_MODE });
  if ((await readdir(dataDir)).length > 0)
    throw new StateRestoreError(
      `${dataDir} is not empty: restore into an empty directory (move this one away first)`,
    );
  const state = options.state ?? (await findShippedState(s3, target));
  if (!state) return undefined;
  const staging = join(dataDir, 'restore-staging');
  await mkdir(staging, { mode: DIR_MODE });
  try {
    const download = async (key: string, file: string) => {
      const bytes = await s3.getBytes(target.ref, key);
      if (!bytes) throw new StateRestoreError(`${s3Url(target, key)} vanished while restoring: try again`);
      await writeFile(join(staging, file), bytes, { mode: FILE_MODE });
    };
    await download(state.snapshot.key, snapshotName(state.snapshot.revision));
    // Each chunk becomes a segment named by its first revision; its header carries the chain seed.
    // A few downloads at once (S3 latency dominates small objects); each goes straight to disk.
    let next = 0;
    let stop = false;
    const worker = async () => {
      while (next < state.chunks.length && !stop) {
        const chunk = state.chunks[next++]!;
        await download(chunk.key, segmentName(chunk.first)).catch((err: unknown) => {
          stop = true;
          throw err;
        });
      }
    };
    // Every worker settles before the staging directory can be removed.
    const settled = await Promise.allSettled(Array.from({ length: DOWNLOADS }, worker));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (state.chunks.length === 0) await writeEmptySegment(staging, state.snapshot.revision + 1);
    let recovered: Awaited<ReturnType<typeof recoverState>>;
    try {
      recovered = await recoverState(staging, events, { cutTornTail: false });
    } catch (err) {
      throw new StateRestoreError(
        `the shipped state under ${s3Url(target, logPrefix(target, state.generation))} is damaged: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const { mvcc } = recovered;
    if (mvcc.revision !== state.revision) {
      throw new StateRestoreError(
        `the shipped state of generation ${state.generation} ends at revision ${mvcc.revision}, but its objects name revision ${state.revision}: a chunk is truncated`,
      );
    }
    await writeSnapshot(dataDir, mvcc.capture(), nodeFileSystem);
    const segment = await writeEmptySegment(dataDir, mvcc.revision + 1);
    await writeMeta(dataDir, { format: 2, segment }, nodeFileSystem);
    events.emit({
      code: 'store.restored',
      level: 'info',
      message: `restored the store in ${dataDir} from generation ${state.generation} at revision ${mvcc.revision} (${mvcc.size} keys, ${state.chunks.length} log chunks)`,
      data: { generation: state.generation, revision: mvcc.revision, keys: mvcc.size },
    });
    return {
      generation: state.generation,
      revision: mvcc.revision,
      keys: mvcc.size,
      chunks: state.chunks.length,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** An empty, durable log segment starting at `revision` (the store appends there). */
export async function writeEmptySegment(dir: string, revision: number): Promise<string> {
  const name = segmentName(revision);
  const fh = await open(join(dir, name), 'w', FILE_MODE);
  try {
    await fh.write(encodeFileHeader(WAL_MAGIC, 0));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await syncDir(dir);
  return name;
}
