import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import type { KeyToPath } from '../kube/index.js';
import { VolumeError } from './volume-error.js';

/**
 * Writes `data` (or the `items` picked from it) into `dir`, each file through a temporary file
 * renamed into place, so a reader never sees a half-written file. Paths may not leave `dir`.
 */
export function writeFiles(
  dir: string,
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  mode: number,
): void {
  mkdirSync(dir, { recursive: true });
  const wanted: KeyToPath[] = items ?? Object.keys(data).map((key) => ({ key, path: key }));
  for (const item of wanted) {
    const content = data[item.key];
    if (content === undefined)
      throw new VolumeError(`key "${item.key}" is missing from the volume source: fix items[].key`);
    const rel = normalize(item.path);
    if (rel.startsWith('..') || rel.startsWith('/'))
      throw new VolumeError(`item path "${item.path}" leaves the volume: use a relative path`);
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.tugboat-tmp`;
    writeFileSync(tmp, content, { mode: item.mode ?? mode });
    chmodSync(tmp, item.mode ?? mode);
    renameSync(tmp, file);
  }
}
