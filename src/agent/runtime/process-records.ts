import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../timing.js';
import type { RuntimeContainer } from './types.js';

/**
 * What the process runtime writes next to each container's log, so that an agent that restarts
 * after a crash (kill -9, OOM) — or `local down` / `uninstall` — can find the container's processes
 * again. `pid` is the process-group leader (containers start detached, so their group id is their
 * pid); `startTicks` is its start time in clock ticks since boot (field 22 of /proc/PID/stat), which
 * tells our process from a later one that reused the pid.
 */
export interface ProcessRecord {
  readonly container: RuntimeContainer;
  readonly pid: number;
  readonly startTicks: number;
}

/** The folder of the process runtime's containers under an agent's data directory. */
export function processRuntimeDir(dataDir: string): string {
  return join(dataDir, 'process-runtime');
}

const RECORD = 'state.json';
/** `PID STARTTICKS` on one line, for the shell that `uninstall` runs on a host. */
export const PROCESS_FILE = 'process';

/** Writes (atomically) the record of the container whose folder is `dir`. */
export function writeProcessRecord(dir: string, record: ProcessRecord): void {
  const tmp = join(dir, `${RECORD}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  renameSync(tmp, join(dir, RECORD));
  writeFileSync(join(dir, PROCESS_FILE), `${record.pid} ${record.startTicks}\n`, { mode: 0o600 });
}

/**
 * Every container record under `dataDir` with the folder it lives in. A record that cannot be
 * read or parsed (a crash mid-write, a hand edit) is skipped rather than failing the agent; its
 * folder is still returned so the caller can remove it.
 */
export function readProcessRecords(dataDir: string): { dir: string; id: string; record?: ProcessRecord }[] {
  const root = processRuntimeDir(dataDir);
  if (!existsSync(root)) return [];
  const out: { dir: string; id: string; record?: ProcessRecord }[] = [];
  for (const id of readdirSync(root)) {
    const dir = join(root, id);
    out.push({ dir, id, record: parseRecord(dir) });
  }
  return out;
}

function parseRecord(dir: string): ProcessRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, RECORD), 'utf8')) as Partial<ProcessRecord>;
    if (
      !r ||
      typeof r !== 'object' ||
      !Number.isInteger(r.pid) ||
      (r.pid ?? 0) <= 1 ||
      !Number.isInteger(r.startTicks) ||
      typeof r.container?.id !== 'string' ||
      typeof r.container.podUid !== 'string'
    ) {
      return undefined;
    }
    return r as ProcessRecord;
  } catch {
    return undefined;
  }
}

/** Fields of /proc/PID/stat after `pid (comm) ` (the command may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Start time of `pid` in clock ticks since boot, or undefined when there is no such process. A
 * zombie still has it: a container that exits at once may be one by the time its parent looks,
 * and its pid cannot be reused before the parent reaps it.
 */
export function processStartTicks(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[19]) : undefined;
}

/**
 * Pids of the live members of the process group a record names. Empty when the group is gone —
 * or when its leader's pid now belongs to a different process (same pid, other start time): then
 * the group is not ours and must not be touched. Linux keeps a pid from being reused while any
 * process still has it as its group id, so members of a group whose leader exited are still ours.
 */
export function liveGroupMembers(record: Pick<ProcessRecord, 'pid' | 'startTicks'>): number[] {
  const leader = statFields(record.pid);
  if (leader && Number(leader[19]) !== record.startTicks) return [];
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    // f[2] is the process group id; zombies are already dead.
    if (f && Number(f[2]) === record.pid && f[0] !== 'Z' && f[0] !== 'X') members.push(Number(name));
  }
  return members;
}

/**
 * Stops the process group of a record: SIGTERM, then SIGKILL after `graceMs`, and waits (bounded)
 * for every member to go. Returns true when something was running.
 */
export async function stopRecordedGroup(
  record: Pick<ProcessRecord, 'pid' | 'startTicks'>,
  graceMs: number,
): Promise<boolean> {
  if (liveGroupMembers(record).length === 0) return false;
  const signal = (sig: NodeJS.Signals) => {
    // Check again right before signalling, so a pid reused meanwhile is never hit.
    if (liveGroupMembers(record).length === 0) return;
    try {
      process.kill(-record.pid, sig);
    } catch {
      // gone meanwhile
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && liveGroupMembers(record).length > 0) {
    await sleep(50);
  }
  signal('SIGKILL');
  for (let i = 0; i < 100 && liveGroupMembers(record).length > 0; i++) {
    await sleep(50);
  }
  return true;
}

/**
 * Stops every container process the process runtime recorded under `dataDir` (an agent's data
 * directory) that still runs, e.g. after the agent was killed. Returns the containers it stopped.
 */
export async function sweepProcessContainers(dataDir: string, graceMs = 2_000): Promise<RuntimeContainer[]> {
  const stopped: RuntimeContainer[] = [];
  await Promise.all(
    readProcessRecords(dataDir).map(async ({ record }) => {
      if (record && (await stopRecordedGroup(record, graceMs))) stopped.push(record.container);
    }),
  );
  return stopped;
}
