import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Api } from '../../../aws/s3.js';
import { silentEvents } from '../../../events.js';
import { nodeFileSystem } from '../embedded/file-io.js';
import { recoverState } from '../embedded/recover.js';
import { writeSnapshot } from '../embedded/snapshot.js';
import type { KeyValue } from '../types.js';
import { type BackupInfo, listBackups, restoreBackup } from './backup.js';
import { logPrefix, parseLogs, parseSnaps, type StateTarget, s3Url, snapKey, snapPrefix } from './layout.js';
import { claimGeneration } from './lease.js';
import { restoreState, StateRestoreError } from './restore.js';

/** Keys listed per kind of change in a plan (the counts are always complete). */
const LISTED = 200;

/** What restoring a backup changes in the target's state, store key by key. */
export interface BackupRestorePlan {
  readonly backup: BackupInfo;
  /** `s3://bucket/prefix` the backup comes from. */
  readonly from: string;
  /** The target's current shipped state; absent when it has none or it cannot be read. */
  readonly current?: { readonly generation: number; readonly revision: number; readonly keys: number };
  /**
   * Why the current state cannot be read (a gap, a damaged object): the restore still works — it
   * is how to recover from that — but removed/changed cannot be listed.
   */
  readonly currentError?: string;
  /** The revision the restored state gets: past every revision the target served, so clients relist. */
  readonly revision: number;
  /** `etcd`: the target keeps its objects in etcd; every key there is replaced and changes are not listed. */
  readonly store?: 'etcd';
  /** Keys the restore brings back (absent now), removes (created since), and reverts (changed since). */
  readonly added: ChangeList;
  readonly removed: ChangeList;
  readonly changed: ChangeList;
}

/** A count and the first keys (sorted). */
export interface ChangeList {
  readonly count: number;
  readonly keys: readonly string[];
}

/** A plan with the backup's contents, ready to apply. */
export interface PreparedBackupRestore {
  readonly plan: BackupRestorePlan;
  readonly kvs: readonly KeyValue[];
}

async function readState(dir: string): Promise<KeyValue[]> {
  return (await recoverState(dir, silentEvents, { cutTornTail: false })).mvcc.capture().kvs;
}

const list = (keys: string[]): ChangeList => ({ count: keys.length, keys: keys.sort().slice(0, LISTED) });

/**
 * Reads backup `name` of `source` and the current shipped state of `target` (both verified as any
 * restore) and compares them key by key. Nothing is written; `applyBackupRestore` does that.
 */
export async function prepareBackupRestore(
  s3: S3Api,
  source: StateTarget,
  target: StateTarget,
  name: string,
): Promise<PreparedBackupRestore> {
  const scratch = await mkdtemp(join(tmpdir(), 'tugboat-restore-'));
  try {
    await restoreBackup(s3, source, name, join(scratch, 'backup'));
    const backup = (await listBackups(s3, source)).find((b) => b.name === name)!;
    const kvs = await readState(join(scratch, 'backup'));
    let now: Awaited<ReturnType<typeof restoreState>>;
    let currentError: string | undefined;
    try {
      now = await restoreState({ s3, target, dataDir: join(scratch, 'current') });
    } catch (err) {
      if (!(err instanceof StateRestoreError)) throw err;
      currentError = err.message;
    }
    const currentKvs = now ? await readState(join(scratch, 'current')) : [];
    const before = new Map(currentKvs.map((kv) => [kv.key, kv.value]));
    const after = new Set(kvs.map((kv) => kv.key));
    const added: string[] = [];
    const changed: string[] = [];
    for (const kv of kvs) {
      const old = before.get(kv.key);
      if (!old) added.push(kv.key);
      else if (Buffer.compare(Buffer.from(old), Buffer.from(kv.value)) !== 0) changed.push(kv.key);
    }
    const removed = currentKvs.filter((kv) => !after.has(kv.key)).map((kv) => kv.key);
    const plan: BackupRestorePlan = {
      backup,
      from: s3Url(source, source.prefix),
      ...(now ? { current: { generation: now.generation, revision: now.revision, keys: now.keys } } : {}),
      ...(currentError ? { currentError } : {}),
      revision: Math.max(backup.revision, await newestShippedRevision(s3, target)) + 1,
      added: list(added),
      removed: list(removed),
      changed: list(changed),
    };
    return { plan, kvs };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** What {@link applyBackupRestore} wrote. */
export interface AppliedBackupRestore {
  readonly generation: number;
  readonly revision: number;
  readonly keys: number;
}

/**
 * Makes the backup the target's state: claims the next store generation (which fences the master
 * that ships now: it stops serving within its fence check) and ships the backup's keys as that
 * generation's snapshot, at `plan.revision` with everything before it compacted (etcdutl's
 * `--bump-revision --mark-compacted`): no resourceVersion a client saw before is reused, and
 * watches from one get "too old" and relist. A master started on an empty data directory restores
 * exactly this; one with a data directory of an older generation refuses to start until it is
 * moved away. Refuses when the target's state moved past the plan (plan again), unless
 * `masterStopped`: the caller stopped the only master after the plan, so what moved is what it
 * wrote until then (its lease renewals, Node heartbeats, its last records shipped as it stopped),
 * all replaced by the backup as the plan said; the restore then goes past the newest revision.
 */
export async function applyBackupRestore(
  s3: S3Api,
  target: StateTarget,
  prepared: PreparedBackupRestore,
  holder: string,
  options: { readonly masterStopped?: boolean } = {},
): Promise<AppliedBackupRestore> {
  const { plan } = prepared;
  const newest = await newestShippedRevision(s3, target);
  if (newest >= plan.revision && !options.masterStopped)
    throw new StateRestoreError(
      `the state under ${s3Url(target, target.prefix)} reached revision ${newest} since the plan (which restores at ${plan.revision}): stop its master, then restore again`,
    );
  const revision = Math.max(plan.revision, newest + 1);
  const scratch = await mkdtemp(join(tmpdir(), 'tugboat-restore-'));
  try {
    const data = { revision, compactRevision: revision, kvs: prepared.kvs, history: [] };
    const { name } = await writeSnapshot(scratch, data, nodeFileSystem);
    const bytes = await readFile(join(scratch, name));
    const generation = await claimGeneration(s3, target, holder);
    await s3.putBytes(target.ref, snapKey(target, generation, revision), bytes);
    return { generation, revision, keys: prepared.kvs.length };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The newest revision any shipped object names, from the keys alone (0 when none): read even when
 * the state itself is damaged, so a restored revision is always past every one served.
 */
async function newestShippedRevision(s3: S3Api, target: StateTarget): Promise<number> {
  const snaps = parseSnaps(await s3.listKeys(target.ref, snapPrefix(target)));
  const logs = parseLogs(await s3.listKeys(target.ref, logPrefix(target)));
  return Math.max(0, ...snaps.map((s) => s.revision), ...logs.map((l) => l.last));
}
