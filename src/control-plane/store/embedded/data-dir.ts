import { chmod, mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventSink } from '../../../events.js';
import { DIR_MODE, FILE_MODE, type StoreFileSystem } from './file-io.js';
import { SNAP_MAGIC, WAL_MAGIC } from './frame.js';
import type { Mvcc } from './mvcc.js';
import { isFormat1 } from './scan.js';
import { writeSnapshot } from './snapshot.js';
import { segmentName } from './wal.js';

/** The data directory's files as a whole: their modes, and the one-time move from format 1. */

/** Store files may hold Secrets: the directory 0700, files 0600 (also fixes older stores' 0644). */
export async function restrictModes(dir: string): Promise<void> {
  await chmod(dir, DIR_MODE);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) await chmod(join(dir, entry.name), FILE_MODE);
  }
}

/**
 * Rewrites a format-1 directory: a format-2 snapshot of the recovered state, then the old files
 * move to `pre-v2/` (kept for the operator to delete). Returns the snapshot written and the
 * segment to append to.
 */
export async function migrateToFormat2(
  dir: string,
  mvcc: Mvcc,
  fs: StoreFileSystem,
  events: EventSink,
): Promise<{ snapshot: string; segment: string }> {
  const { name } = await writeSnapshot(dir, mvcc.capture(), fs);
  const backup = join(dir, 'pre-v2');
  await mkdir(backup, { recursive: true, mode: DIR_MODE });
  for (const file of await readdir(dir)) {
    const magic = file.startsWith('wal-') ? WAL_MAGIC : file.startsWith('snapshot-') ? SNAP_MAGIC : undefined;
    if (!magic || file === name || !(await isFormat1(join(dir, file), magic))) continue;
    await rename(join(dir, file), join(backup, file));
  }
  events.emit({
    code: 'store.migrated',
    level: 'info',
    message: `migrated the store in ${dir} to format 2 (chained checksums); the old files are in ${backup}`,
    data: { dir, snapshot: name },
  });
  return { snapshot: name, segment: segmentName(mvcc.revision + 1) };
}
