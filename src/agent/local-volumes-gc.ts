import { type Dirent, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isNotFound } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { PersistentVolume } from '../kube/index.js';
import { isSafeVolumeName, volumesDirOf } from './claim-volume.js';

/** What one cleanup pass looks at. */
export interface LocalVolumesGcOptions {
  readonly client: KubeClient;
  readonly dataDir: string;
  /** Host paths mounted into this node's pods now: never removed, whatever the API says. */
  readonly inUse: ReadonlySet<string>;
  /** Directories looked at per pass. @default 64 */
  readonly maxPerPass?: number;
  /** The last name looked at, carried between passes so every entry gets its turn. @default from the first */
  readonly cursor?: { after: string };
}

/**
 * Removes the directories of local-path volumes that are gone (the `Delete` reclaim: the volume
 * controller deleted the PersistentVolume) or Released with reclaim `Delete`. Only plain
 * directories directly under `<dataDir>/volumes` whose name is a volume name are considered (no
 * symlink is followed, nothing outside is touched); a volume the API does not answer for (an error,
 * a 403) keeps its directory; a directory in use by a pod here is kept. At most `maxPerPass`
 * entries per pass, in turn (`cursor`). Returns what it removed.
 */
export async function collectLocalVolumes(options: LocalVolumesGcOptions): Promise<string[]> {
  const dir = volumesDirOf(options.dataDir);
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const removed: string[] = [];
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const after = options.cursor?.after ?? '';
  const later = entries.filter((e) => e.name > after);
  const window = [...later, ...entries.filter((e) => e.name <= after)].slice(0, options.maxPerPass ?? 64);
  if (options.cursor) options.cursor.after = window.at(-1)?.name ?? '';
  for (const entry of window) {
    if (!entry.isDirectory() || !isSafeVolumeName(entry.name)) continue;
    const path = join(dir, entry.name);
    if (options.inUse.has(path)) continue;
    let gone = false;
    try {
      const pv = await options.client.get<PersistentVolume>(resources.persistentVolumes, entry.name);
      gone = pv.status?.phase === 'Released' && pv.spec?.persistentVolumeReclaimPolicy === 'Delete';
    } catch (err) {
      gone = isNotFound(err);
    }
    if (!gone) continue;
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
