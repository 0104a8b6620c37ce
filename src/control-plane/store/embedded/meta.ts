import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_MODE, type StoreFileSystem } from './file-io.js';
import { syncDir } from './wal.js';

/** Name of the file that marks a data directory as holding a store (format 2). */
export const META_FILE = 'STORE';

/**
 * What the data directory must hold: written when the store is created and at every log rotation,
 * so a missing log (or a missing newest segment) is refused instead of opening an emptier store.
 */
export interface StoreMeta {
  readonly format: 2;
  /** The newest log segment at the last rotation; recovery refuses when it is gone. */
  readonly segment: string;
}

/** Reads the meta file; undefined when absent (a fresh directory, or format 1). */
export async function readMeta(dir: string): Promise<StoreMeta | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, META_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const meta = JSON.parse(text) as Partial<StoreMeta>;
  if (meta.format !== 2 || typeof meta.segment !== 'string')
    throw new Error(`${join(dir, META_FILE)} is not a tugboat store meta file (format 2)`);
  return meta as StoreMeta;
}

/** Replaces the meta file atomically (temp file, fsync, rename, directory fsync). */
export async function writeMeta(dir: string, meta: StoreMeta, fs: StoreFileSystem): Promise<void> {
  const tmp = join(dir, `${META_FILE}.tmp`);
  const fh = await fs.open(tmp, 'w', FILE_MODE);
  try {
    const bytes = Buffer.from(`${JSON.stringify(meta)}\n`);
    await fh.write(bytes, 0, bytes.length);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, META_FILE));
  await syncDir(dir);
}
