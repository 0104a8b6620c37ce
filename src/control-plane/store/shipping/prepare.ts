import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Api } from '../../../aws/s3.js';
import { type EventSink, silentEvents } from '../../../events.js';
import { sleep } from '../../../timing.js';
import { DIR_MODE, FILE_MODE, nodeFileSystem } from '../embedded/file-io.js';
import { lockDataDir } from '../embedded/lock.js';
import { writeMeta } from '../embedded/meta.js';
import { recoverState } from '../embedded/recover.js';
import { snapshotName, writeSnapshot } from '../embedded/snapshot.js';
import { syncDir } from '../embedded/wal.js';
import { parseSnaps, type StateTarget, snapKey, snapPrefix } from './layout.js';
import { claimGeneration } from './lease.js';
import type { LogCursor } from './log-tail.js';
import { restoreState, StateRestoreError, writeEmptySegment } from './restore.js';

/** File in the data directory naming the generation that last shipped from it. */
export const GENERATION_FILE = 'SHIPPED-GENERATION';

/** Options for {@link prepareShipping}. */
export interface PrepareShippingOptions {
  readonly s3: S3Api;
  readonly target: StateTarget;
  readonly dataDir: string;
  /** Names this master in its lease (instance id, host name); no secrets. */
  readonly holder: string;
  /**
   * Wait after claiming a generation before reading the shipped state, so the previous writer sees
   * the newer lease (it checks every `fenceCheckMs`), stops writing and ships its last records.
   * @default 3000
   */
  readonly graceMs?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** Where shipping starts: the claimed generation and the local log position of the state shipped. */
export interface PreparedShipping {
  readonly generation: number;
  readonly revision: number;
  readonly cursor: LogCursor;
  /** Set when the data directory was restored from S3. */
  readonly restored: boolean;
}

/**
 * Makes the data directory the cluster's current state and claims the right to ship it, before the
 * store opens: claims the next generation (fencing the previous writer), waits `graceMs`, then
 * restores from S3 when the directory is empty and S3 has state; refuses a directory whose state
 * a newer generation superseded (another master took over since this one last wrote); finally
 * writes a snapshot of the local state and ships it as the generation's first object, so every
 * generation's state is complete on its own.
 */
export async function prepareShipping(options: PrepareShippingOptions): Promise<PreparedShipping> {
  const { s3, target, dataDir } = options;
  const events = options.events ?? silentEvents;
  const generation = await claimGeneration(s3, target, options.holder);
  await sleep(options.graceMs ?? 3000);
  const newest = parseSnaps(await s3.listKeys(target.ref, snapPrefix(target))).at(-1);
  const local = await readGeneration(dataDir);
  const hasStore = await holdsStore(dataDir);
  let restored = false;
  if (newest && (local === undefined || local < newest.generation)) {
    if (hasStore) {
      throw new StateRestoreError(
        `${dataDir} holds state of generation ${local ?? '(none)'}, but generation ${newest.generation} in S3 is newer (another master wrote since): move ${dataDir} away so the control plane restores from S3`,
      );
    }
    restored = (await restoreState({ s3, target, dataDir, events })) !== undefined;
  }
  await mkdir(dataDir, { recursive: true, mode: DIR_MODE });
  const lock = lockDataDir(dataDir);
  let cursor: LogCursor;
  let revision: number;
  try {
    const recovered = await recoverState(dataDir, events);
    revision = recovered.mvcc.revision;
    cursor = recovered.lastSegment
      ? {
          segment: Number(recovered.lastSegment.slice(4, 20)),
          offset: recovered.lastSegmentBytes,
          chain: recovered.chain,
        }
      : { segment: revision + 1, offset: 0, chain: 0 };
    if (recovered.legacy)
      throw new StateRestoreError(
        `${dataDir} is in store format 1: open it once without shipping to migrate it`,
      );
    await writeSnapshot(dataDir, recovered.mvcc.capture(), nodeFileSystem, recovered.snapshot);
    if (!recovered.lastSegment) {
      // A new store: a snapshot needs a log after it for the store to open.
      const segment = await writeEmptySegment(dataDir, revision + 1);
      await writeMeta(dataDir, { format: 2, segment }, nodeFileSystem);
    }
  } finally {
    lock.release();
  }
  const bytes = await readFile(join(dataDir, snapshotName(revision)));
  await s3.putBytes(target.ref, snapKey(target, generation, revision), bytes);
  await writeGeneration(dataDir, generation);
  events.emit({
    code: 'store.shipping-started',
    level: 'info',
    message: `shipping the store to s3://${target.ref.bucket}/${target.prefix} as generation ${generation} from revision ${revision}${restored ? ' (restored)' : ''}`,
    data: { generation, revision, restored },
  });
  return { generation, revision, cursor, restored };
}

async function holdsStore(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some(
      (f) => f === 'STORE' || f.startsWith('wal-') || f.startsWith('snapshot-'),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function readGeneration(dir: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(join(dir, GENERATION_FILE), 'utf8')).trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function writeGeneration(dir: string, generation: number): Promise<void> {
  const tmp = join(dir, `${GENERATION_FILE}.tmp`);
  await writeFile(tmp, `${generation}\n`, { mode: FILE_MODE });
  await rename(tmp, join(dir, GENERATION_FILE));
  await syncDir(dir);
}
