import { mkdir, open, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentEvents } from '../../../events.js';
import { StoreDamageError } from './damage.js';
import { DIR_MODE, FILE_MODE, nodeFileSystem } from './file-io.js';
import { lockDataDir } from './lock.js';
import { readMeta, writeMeta } from './meta.js';
import { recoverState, truncateDurably } from './recover.js';
import { listSnapshots } from './snapshot.js';
import { listSegments, syncDir } from './wal.js';

/** One repair step: what was damaged and what was (or would be) done about it. */
export interface RepairStep {
  readonly kind: StoreDamageError['kind'];
  readonly file: string;
  readonly offset: number;
  readonly lastGoodRevision: number;
  /** Acknowledged writes the step drops (Infinity: unknown), besides the damaged record itself. */
  readonly droppedWrites: number;
  /** What the step does, in words. */
  readonly action: string;
}

/** The outcome of {@link repairStore}. */
export interface RepairReport {
  /** healthy: nothing (more) to do; repaired: steps were taken; planned: dry run with a step to take;
   * unrepairable: the damage needs a backup (see `message`). */
  readonly status: 'healthy' | 'repaired' | 'planned' | 'unrepairable';
  readonly steps: readonly RepairStep[];
  /** Where cut bytes and set-aside files were kept. */
  readonly backupDir?: string;
  readonly message?: string;
}

/** Options for {@link repairStore}. */
export interface RepairOptions {
  /** Only say what would be done (the first step; later damage shows after it is taken). @default false */
  readonly dryRun?: boolean;
  /** Names the backup folder. @default new Date() */
  readonly now?: Date;
}

/**
 * The explicit recovery for a store that refuses to start. A damaged log segment is cut at the
 * damage: the bytes from there and every later segment move to `DIR/repair-<time>/`, and the
 * report says how many acknowledged writes that drops. A damaged snapshot is set aside there when
 * the older snapshot and the log reach back far enough to rebuild it (dropping nothing). A missing
 * log cannot be repaired. Takes the directory's lock, so it never runs under a live store.
 */
export async function repairStore(dir: string, options: RepairOptions = {}): Promise<RepairReport> {
  const lock = lockDataDir(dir);
  const backupDir = join(dir, `repair-${(options.now ?? new Date()).toISOString().replace(/[:.]/g, '-')}`);
  const steps: RepairStep[] = [];
  try {
    for (let round = 0; round < 64; round++) {
      let damage: StoreDamageError;
      try {
        await recoverState(dir, silentEvents, { cutTornTail: !options.dryRun });
        const status = steps.length ? 'repaired' : 'healthy';
        return steps.length ? { status, steps, backupDir } : { status, steps };
      } catch (err) {
        if (!(err instanceof StoreDamageError)) throw err;
        damage = err;
      }
      const base = {
        kind: damage.kind,
        file: damage.file,
        offset: damage.offset,
        lastGoodRevision: damage.lastGoodRevision,
        droppedWrites: damage.dropped,
      };
      if (damage.kind === 'missing-log') {
        return { status: 'unrepairable', steps, message: damage.message };
      }
      if (damage.kind === 'snapshot') {
        const way = await olderPath(dir, damage.file);
        if (!way) {
          const message = `${damage.message}: no older snapshot or log reaches back far enough; restore the data dir from a backup`;
          return { status: 'unrepairable', steps, message };
        }
        const action = `set ${damage.file} aside and rebuild from ${way}`;
        steps.push({ ...base, droppedWrites: 0, action });
        if (options.dryRun) return { status: 'planned', steps, backupDir };
        await mkdir(backupDir, { recursive: true, mode: DIR_MODE });
        await rename(join(dir, damage.file), join(backupDir, damage.file));
        await syncDir(dir);
        continue;
      }
      const later = (await listSegments(dir)).filter((s) => s.name > damage.file).map((s) => s.name);
      const action =
        `cut ${damage.file} at byte ${damage.offset}` +
        (later.length ? ` and set aside ${later.join(', ')}` : '');
      steps.push({ ...base, action });
      if (options.dryRun) return { status: 'planned', steps, backupDir };
      await cutSegment(dir, backupDir, damage.file, damage.offset, later);
    }
    return { status: 'unrepairable', steps, message: `store in ${dir} still damaged after 64 repair steps` };
  } finally {
    lock.release();
  }
}

/** Keeps a copy of the segment from `offset` and the later segments, then cuts the log there. */
async function cutSegment(dir: string, backupDir: string, file: string, offset: number, later: string[]) {
  await mkdir(backupDir, { recursive: true, mode: DIR_MODE });
  const path = join(dir, file);
  const { size } = await stat(path);
  const fh = await open(path, 'r');
  try {
    const cut = Buffer.alloc(size - offset);
    await fh.read(cut, 0, cut.length, offset);
    await writeFile(join(backupDir, `${file}.from-${offset}`), cut, { mode: FILE_MODE });
  } finally {
    await fh.close();
  }
  for (const name of later) await rename(join(dir, name), join(backupDir, name));
  await syncDir(backupDir);
  await truncateDurably(path, offset);
  if (await readMeta(dir)) await writeMeta(dir, { format: 2, segment: file }, nodeFileSystem);
  await syncDir(dir);
}

/** How the state in a damaged snapshot can be rebuilt without it, or undefined when it cannot. */
async function olderPath(dir: string, damaged: string): Promise<string | undefined> {
  const older = (await listSnapshots(dir)).filter((s) => s.name < damaged).at(-1);
  const start = older ? older.revision + 1 : 2;
  const segments = await listSegments(dir);
  if (!segments.some((s) => s.first <= start)) return undefined;
  return older ? `${older.name} and the log after it` : 'the whole log (from revision 2)';
}
