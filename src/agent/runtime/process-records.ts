import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../timing.js';
import type { RuntimeContainer } from './types.js';

/**
 * A process group the runtime started: `pid` is its leader (started detached, so the group id is
 * the pid); `startTicks` is the leader's start time in clock ticks since boot (field 22 of
 * /proc/PID/stat), which tells our process from a later one that reused the pid.
 */
export interface ProcessGroup {
  readonly pid: number;
  readonly startTicks: number;
}

/**
 * What the process runtime writes next to each container's log, so that an agent that restarts
 * after a crash (kill -9, OOM) — or `local down` / `uninstall` — can find the container's processes
 * again: the container's own process group, and `execs`, the groups of `exec` sessions (each runs
 * in a session of its own) still running in it.
 */
export interface ProcessRecord extends ProcessGroup {
  readonly container: RuntimeContainer;
  /** @default [] */
  readonly execs?: readonly ProcessGroup[];
}

/** The folder of the process runtime's containers under an agent's data directory. */
export function processRuntimeDir(dataDir: string): string {
  return join(dataDir, 'process-runtime');
}

const RECORD = 'state.json';
/**
 * `PID STARTTICKS` per line, the container's group first, then its exec sessions', for the shell
 * that `uninstall` runs on a host.
 */
export const PROCESS_FILE = 'process';

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Writes (atomically) the record of the container whose folder is `dir`. */
export function writeProcessRecord(dir: string, record: ProcessRecord): void {
  writeAtomically(join(dir, RECORD), `${JSON.stringify(record)}\n`);
  const lines = recordedGroups(record).map((g) => `${g.pid} ${g.startTicks}\n`);
  writeAtomically(join(dir, PROCESS_FILE), lines.join(''));
}

/** The process groups of a record: the container's, then those of its exec sessions. */
export function recordedGroups(record: ProcessRecord): ProcessGroup[] {
  return [{ pid: record.pid, startTicks: record.startTicks }, ...(record.execs ?? [])];
}

const isGroup = (g: unknown): g is ProcessGroup =>
  typeof g === 'object' &&
  g !== null &&
  Number.isInteger((g as ProcessGroup).pid) &&
  (g as ProcessGroup).pid > 1 &&
  Number.isInteger((g as ProcessGroup).startTicks);

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
    // An exec entry of the wrong shape is left out (never pid 0 or 1: kill(-1) signals everything).
    const execs = Array.isArray(r.execs) ? r.execs.filter(isGroup) : [];
    return { ...(r as ProcessRecord), execs };
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
export function liveGroupMembers(record: ProcessGroup): number[] {
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
 * Stops recorded process groups together: SIGTERM, then SIGKILL after `graceMs`, and waits
 * (bounded) for every member to go. Returns, per group, whether something of it was running.
 */
export async function stopRecordedGroups(
  groups: readonly ProcessGroup[],
  graceMs: number,
): Promise<boolean[]> {
  const live = (g: ProcessGroup) => liveGroupMembers(g).length > 0;
  const running = groups.map(live);
  const targets = groups.filter((_, i) => running[i]);
  if (targets.length === 0) return running;
  const signal = (sig: NodeJS.Signals) => {
    for (const g of targets) {
      // Check again right before signalling, so a pid reused meanwhile is never hit.
      if (!live(g)) continue;
      try {
        process.kill(-g.pid, sig);
      } catch {
        // gone meanwhile
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && targets.some(live)) {
    await sleep(50);
  }
  signal('SIGKILL');
  for (let i = 0; i < 100 && targets.some(live); i++) {
    await sleep(50);
  }
  return running;
}

/**
 * Stops every container process the process runtime recorded under `dataDir` (an agent's data
 * directory) that still runs, exec sessions included, e.g. after the agent was killed. Returns the
 * containers of which something was stopped.
 */
export async function sweepProcessContainers(dataDir: string, graceMs = 2_000): Promise<RuntimeContainer[]> {
  const stopped: RuntimeContainer[] = [];
  await Promise.all(
    readProcessRecords(dataDir).map(async ({ record }) => {
      if (!record) return;
      const running = await stopRecordedGroups(recordedGroups(record), graceMs);
      if (running.some(Boolean)) stopped.push(record.container);
    }),
  );
  return stopped;
}
