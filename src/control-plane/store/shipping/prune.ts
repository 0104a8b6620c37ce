import type { S3Api } from '../../../aws/s3.js';
import { logPrefix, parseLogs, parseSnaps, type StateTarget, snapPrefix } from './layout.js';

/**
 * Keeps the newest `keep` snapshots (across generations) and the log chunks that reach past them;
 * deletes older snapshots and every chunk a kept snapshot of its generation covers, and every
 * chunk of a generation with no kept snapshot. Leases stay (they order the generations).
 */
export async function pruneShipped(s3: S3Api, target: StateTarget, keep: number): Promise<number> {
  const snaps = parseSnaps(await s3.listKeys(target.ref, snapPrefix(target)));
  const kept = snaps.slice(-Math.max(1, keep));
  const oldestKept = new Map<number, number>();
  for (const s of kept) if (!oldestKept.has(s.generation)) oldestKept.set(s.generation, s.revision);
  const doomed = snaps.slice(0, snaps.length - kept.length).map((s) => s.key);
  for (const chunk of parseLogs(await s3.listKeys(target.ref, logPrefix(target)))) {
    const from = oldestKept.get(chunk.generation);
    if (from === undefined || chunk.last <= from) doomed.push(chunk.key);
  }
  for (const key of doomed) await s3.deleteObject(target.ref, key);
  return doomed.length;
}
