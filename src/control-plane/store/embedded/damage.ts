import { join } from 'node:path';
import { StoreError } from '../types.js';

/** What is wrong with a data directory that recovery refuses to open. */
export type DamageKind = 'segment' | 'snapshot' | 'missing-log';

/**
 * Acknowledged data is damaged or missing: the store refuses to start rather than guess. The
 * message names the file, the offset and the last good revision, and the explicit way out.
 */
export class StoreDamageError extends StoreError {
  constructor(
    readonly kind: DamageKind,
    readonly dir: string,
    /** The damaged or missing file (a name inside `dir`). */
    readonly file: string,
    /** Byte offset of the damage in `file`. */
    readonly offset: number,
    /** Newest revision read intact before the damage. */
    readonly lastGoodRevision: number,
    /** Intact writes found after the damaged record (cutting drops them too); Infinity: unknown. */
    readonly dropped: number,
    detail: string,
  ) {
    super('Unavailable', damageMessage(kind, dir, file, offset, lastGoodRevision, dropped, detail));
    this.name = 'StoreDamageError';
  }
}

function damageMessage(
  kind: DamageKind,
  dir: string,
  file: string,
  offset: number,
  lastGood: number,
  dropped: number,
  detail: string,
): string {
  const path = join(dir, file);
  const count = Number.isFinite(dropped) ? String(dropped) : 'an unknown number of';
  if (kind === 'missing-log') {
    return (
      `store in ${dir} is missing its write-ahead log (${detail}; expected ${file}): refusing to start ` +
      'with less data than was acknowledged. Restore the data dir from a backup, or move it away to start an empty store'
    );
  }
  if (kind === 'snapshot') {
    return (
      `snapshot ${path} is corrupt at byte ${offset} (${detail}): refusing to start. ` +
      `\`tugboat store repair ${dir}\` sets it aside (keeping it) and recovers from the older snapshot and the log ` +
      `when they reach back far enough (it says so first); otherwise restore the data dir from a backup`
    );
  }
  return (
    `write-ahead log ${path} is corrupt at byte ${offset} (${detail}); the last good revision is ${lastGood} ` +
    `and ${count} intact acknowledged write(s) follow the damaged record: refusing to start. ` +
    `\`tugboat store repair ${dir}\` cuts the log at byte ${offset} (keeping a copy of what it cuts), dropping ` +
    `the damaged record and those writes; or restore the data dir from a backup`
  );
}
