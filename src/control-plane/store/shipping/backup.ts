import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Api } from '../../../aws/s3.js';
import { snapshotName } from '../embedded/snapshot.js';
import type { StateTarget } from './layout.js';
import { type RestoredState, restoreState, StateRestoreError } from './restore.js';

/** What `backups/<name>/manifest.json` says about a backup. */
export interface BackupInfo {
  /** The backup's name: its creation time, `YYYYMMDDTHHMMSSZ` (sorts by time). */
  readonly name: string;
  readonly createdAt: string;
  readonly revision: number;
  readonly keys: number;
  /** The store generation the state came from (0 for a live store's backup). */
  readonly generation: number;
  /** `etcd` when read from a live etcd store (`createStoreBackup`); absent for the shipped state. */
  readonly store?: 'etcd';
}

const base = (t: StateTarget) => (t.prefix ? `${t.prefix.replace(/\/+$/, '')}/backups/` : 'backups/');
const NAME = /^\d{8}T\d{6}Z$/;

/** `2026-12-02T16:54:03.123Z` → `20261202T165403Z`. */
export function backupName(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/**
 * Takes a backup of the shipped state: restores it into a scratch directory (so the backup is
 * verified record by record and consistent at one revision), then stores the resulting snapshot as
 * `<prefix>/backups/<name>/snapshot` with a `manifest.json`, written last (a backup without one is
 * incomplete and not listed). Independent of the log and snapshots that shipping prunes.
 */
export async function createBackup(
  s3: S3Api,
  target: StateTarget,
  now: Date = new Date(),
): Promise<BackupInfo> {
  const scratch = await mkdtemp(join(tmpdir(), 'tugboat-backup-'));
  try {
    const restored = await restoreState({ s3, target, dataDir: join(scratch, 'store') });
    if (!restored)
      throw new StateRestoreError(
        `nothing to back up: no store state under s3://${target.ref.bucket}/${target.prefix}; is the control plane shipping (--state-bucket)?`,
      );
    const bytes = await readFile(join(scratch, 'store', snapshotName(restored.revision)));
    const info: BackupInfo = {
      name: backupName(now),
      createdAt: now.toISOString(),
      revision: restored.revision,
      keys: restored.keys,
      generation: restored.generation,
    };
    await uploadBackup(s3, target, info, bytes);
    return info;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Stores a backup's snapshot file as `<prefix>/backups/<name>/snapshot`, then its manifest, last:
 * a backup without one is incomplete and not listed. Both are put only if absent, so two writers
 * of the same name (two masters at one tick) never mix: the second is refused.
 */
export async function uploadBackup(
  s3: S3Api,
  target: StateTarget,
  info: BackupInfo,
  snapshot: Uint8Array,
): Promise<void> {
  const put = await s3.putBytes(target.ref, `${base(target)}${info.name}/snapshot`, snapshot, {
    ifNoneMatch: '*',
  });
  if (!put.ok)
    throw new StateRestoreError(
      `a backup named ${info.name} exists already under s3://${target.ref.bucket}/${base(target)}: take the next one a second later`,
    );
  const manifest = Buffer.from(`${JSON.stringify(info, null, 2)}\n`);
  await s3.putBytes(target.ref, `${base(target)}${info.name}/manifest.json`, manifest, { ifNoneMatch: '*' });
}

/** Complete backups, oldest first. */
export async function listBackups(s3: S3Api, target: StateTarget): Promise<BackupInfo[]> {
  const keys = await s3.listKeys(target.ref, base(target));
  const names = keys
    .filter((k) => k.endsWith('/manifest.json'))
    .map((k) => k.slice(base(target).length, -'/manifest.json'.length))
    .filter((n) => NAME.test(n))
    .sort();
  const out: BackupInfo[] = [];
  for (const name of names) {
    const bytes = await s3.getBytes(target.ref, `${base(target)}${name}/manifest.json`);
    if (bytes) out.push(JSON.parse(Buffer.from(bytes).toString('utf8')) as BackupInfo);
  }
  return out;
}

/**
 * Restores backup `name` into the empty `dataDir` (verified as any restore), for a control plane
 * to open; the caller starts shipping from it afterwards, which makes it the cluster's new state.
 */
export async function restoreBackup(
  s3: S3Api,
  target: StateTarget,
  name: string,
  dataDir: string,
): Promise<RestoredState> {
  if (!NAME.test(name))
    throw new StateRestoreError(
      `backup name "${name}" is not one: use a name from \`tugboat backup list\`, e.g. 20261202T165403Z`,
    );
  const info = (await listBackups(s3, target)).find((b) => b.name === name);
  if (!info)
    throw new StateRestoreError(`no complete backup ${name} under s3://${target.ref.bucket}/${base(target)}`);
  const snapshot = {
    key: `${base(target)}${name}/snapshot`,
    generation: info.generation,
    revision: info.revision,
  };
  const state = { generation: info.generation, snapshot, chunks: [], revision: info.revision };
  const restored = await restoreState({ s3, target, dataDir, state });
  if (!restored) throw new StateRestoreError(`backup ${name} could not be read`);
  return restored;
}

/** Deletes all but the newest `retain` backups; returns the names deleted. */
export async function pruneBackups(s3: S3Api, target: StateTarget, retain: number): Promise<string[]> {
  const backups = await listBackups(s3, target);
  const doomed = backups.slice(0, Math.max(0, backups.length - retain)).map((b) => b.name);
  for (const name of doomed) {
    // The manifest first: a half-deleted backup is then unlisted, never listed but broken.
    await s3.deleteObject(target.ref, `${base(target)}${name}/manifest.json`);
    await s3.deleteObject(target.ref, `${base(target)}${name}/snapshot`);
  }
  return doomed;
}
