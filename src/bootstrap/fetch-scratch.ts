import { lstatSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The scratch directories of fetches into the pinned artifact cache (see pinned-cache.ts):
 * `<cacheDir>/.fetch-XXXXXX`, one per fetch, removed when it ends. A process killed mid-fetch
 * (Ctrl-C, a crash) leaves its own behind; the next fetch removes the ones nobody has touched for
 * an hour. A live fetch touches its directory every few minutes (a fetch that keeps its download in
 * memory writes nothing there), so one that takes long, in this process or another, keeps it.
 */

/** Names of fetch scratch directories start with this. */
export const FETCH_SCRATCH_PREFIX = '.fetch-';

/** A scratch untouched for this long belongs to a fetch that died. */
export const FETCH_SCRATCH_STALE_MS = 3_600_000;

/** How often a live fetch touches its scratch: well inside {@link FETCH_SCRATCH_STALE_MS}. */
const HEARTBEAT_MS = 300_000;

/** Entries looked at per scratch directory; one with more is kept (npm pack writes one file). */
const MAX_ENTRIES = 1_000;

/** A fetch's own scratch directory. */
export interface FetchScratch {
  readonly path: string;
  /** Stops touching it and removes it with whatever it holds. */
  close(): void;
}

/** Makes a fresh scratch directory in `cacheDir` (which exists) and keeps it touched until closed. */
export function makeFetchScratch(cacheDir: string, heartbeatMs = HEARTBEAT_MS): FetchScratch {
  const path = mkdtempSync(join(cacheDir, FETCH_SCRATCH_PREFIX));
  const timer = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // Removed by hand meanwhile: the fetch reports what that breaks, if anything.
    }
  }, heartbeatMs);
  timer.unref();
  return {
    path,
    close() {
      clearInterval(timer);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Options of {@link sweepStaleFetchScratch}. */
export interface SweepFetchScratchOptions {
  /** @default {@link FETCH_SCRATCH_STALE_MS} */
  readonly staleMs?: number;
  /** @default Date.now() */
  readonly now?: number;
}

/** What a sweep did: scratch directories removed, and those it could not remove (with why). */
export interface FetchScratchSweep {
  readonly removed: readonly string[];
  readonly failed: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * Removes the scratch directories in `cacheDir` whose newest modification time (the directory's
 * and everything in it) is older than `staleMs`. Anything else is left: cached files, other
 * names, a scratch touched lately, one with more than {@link MAX_ENTRIES} entries. Never throws: a
 * directory that vanishes meanwhile (another fetch's sweep, or its owner finishing) is skipped,
 * and one that cannot be removed is reported in `failed`.
 */
export function sweepStaleFetchScratch(
  cacheDir: string,
  options: SweepFetchScratchOptions = {},
): FetchScratchSweep {
  const cutoff = (options.now ?? Date.now()) - (options.staleMs ?? FETCH_SCRATCH_STALE_MS);
  const removed: string[] = [];
  const failed: { name: string; reason: string }[] = [];
  let names: string[];
  try {
    names = readdirSync(cacheDir).filter((n) => n.startsWith(FETCH_SCRATCH_PREFIX));
  } catch (err) {
    if (isGone(err)) return { removed, failed };
    return { removed, failed: [{ name: cacheDir, reason: (err as Error).message }] };
  }
  for (const name of names) {
    const path = join(cacheDir, name);
    try {
      if (!lstatSync(path).isDirectory()) continue;
      const newest = newestChange(path, { left: MAX_ENTRIES });
      if (newest === undefined || newest >= cutoff) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(name);
    } catch (err) {
      if (!isGone(err)) failed.push({ name, reason: (err as Error).message });
    }
  }
  return { removed, failed };
}

/** The newest mtime (ms) in a tree; undefined when it holds more entries than the budget allows. */
function newestChange(path: string, budget: { left: number }): number | undefined {
  const stat = lstatSync(path);
  let newest = stat.mtimeMs;
  if (!stat.isDirectory()) return newest;
  for (const name of readdirSync(path)) {
    budget.left -= 1;
    if (budget.left < 0) return undefined;
    let child: number | undefined;
    try {
      child = newestChange(join(path, name), budget);
    } catch (err) {
      if (isGone(err)) continue;
      throw err;
    }
    if (child === undefined) return undefined;
    newest = Math.max(newest, child);
  }
  return newest;
}

function isGone(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}
