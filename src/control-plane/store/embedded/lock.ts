import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { StoreError } from '../types.js';

/** Data directories this process holds, so a second open in the same process fails too. */
const heldHere = new Set<string>();

/** A held data-directory lock; `release()` is idempotent. */
export interface DirLock {
  release(): void;
}

/**
 * Takes `<dir>/LOCK` so two processes cannot open the same data directory. Node has no flock, so
 * the file records the owner's PID and its kernel start time; a lock whose owner is gone (or whose
 * PID was reused by another process, or is a zombie) is stale and taken over. The file is created
 * with link(2), which fails atomically if another opener got there first.
 */
export function lockDataDir(dir: string): DirLock {
  const path = resolve(dir, 'LOCK');
  if (heldHere.has(path)) {
    throw new StoreError(
      'Unavailable',
      `data dir ${dir} is already open in this process: close the other store first`,
    );
  }
  const mine = `${process.pid} ${startTime(process.pid) ?? ''}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, mine);
    closeSync(fd);
    try {
      linkSync(tmp, path);
      unlinkSync(tmp);
      heldHere.add(path);
      return {
        release() {
          if (!heldHere.delete(path)) return;
          try {
            if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      unlinkSync(tmp);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = '';
    try {
      owner = readFileSync(path, 'utf8');
    } catch {
      continue; // Released between link and read: try again.
    }
    const [pid, started] = owner.trim().split(' ');
    if (ownerAlive(Number(pid), started)) {
      throw new StoreError(
        'Unavailable',
        `data dir ${dir} is locked by running process ${pid}: stop it, or use another --data-dir`,
      );
    }
    try {
      unlinkSync(path);
    } catch {
      // Someone else removed the stale lock first; the next link decides who wins.
    }
  }
  throw new StoreError(
    'Unavailable',
    `could not lock data dir ${dir}: another process keeps taking it; retry`,
  );
}

function ownerAlive(pid: number, started: string | undefined): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // Our own PID, but not held by this process (checked above): a previous process with the same PID
  // (common in containers and after reboots) left it.
  if (pid === process.pid) return false;
  const stat = procStat(pid);
  if (stat === undefined) {
    if (process.platform === 'linux') return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return !started || stat.startTime === started;
}

function startTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

/** State and start time (field 22) from /proc/PID/stat; the command name may contain spaces. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}
