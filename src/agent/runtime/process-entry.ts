import type { ChildProcess } from 'node:child_process';
import { type ProcessGroup, processStartTicks, writeProcessRecord } from './process-records.js';
import type { ContainerLaunch, RuntimeContainer } from './types.js';

/** What the process runtime knows of one container. */
export interface Entry {
  container: RuntimeContainer;
  /** Absent for a container found on disk after an agent restart (it has been stopped). */
  launch?: ContainerLaunch;
  child?: ChildProcess;
  /** The container's process group as recorded on disk (absent when it could not be read). */
  group?: ProcessGroup;
  /**
   * Sessions of `exec` that still run (each its own session, so it is stopped as a whole), with
   * their groups as recorded on disk, so that they are found again after an agent crash.
   */
  execs?: Map<ChildProcess, ProcessGroup | undefined>;
  dir: string;
  exited: Promise<void>;
}

/**
 * Signals the container's process group and those of its exec sessions: a container's end ends
 * what it started and what was exec'd in it, as in a Docker container.
 */
export function signalGroups(e: Entry, sig: NodeJS.Signals): void {
  const leaders = [e.child, ...(e.execs?.keys() ?? [])].flatMap((c) => (c?.pid === undefined ? [] : [c.pid]));
  for (const group of leaders) {
    try {
      process.kill(-group, sig);
    } catch {
      // already gone
    }
  }
}

/** A child's process group, read right after fork: its start time tells it from a later pid. */
export function groupOf(child: ChildProcess): ProcessGroup | undefined {
  const startTicks = child.pid === undefined ? undefined : processStartTicks(child.pid);
  return child.pid === undefined || startTicks === undefined ? undefined : { pid: child.pid, startTicks };
}

/** Records a container's groups and its exec sessions' (see process-records.ts). */
export function writeRecord(e: Entry): void {
  if (!e.group) return;
  const execs = [...(e.execs?.values() ?? [])].filter((g) => g !== undefined);
  try {
    writeProcessRecord(e.dir, { container: e.container, ...e.group, execs });
  } catch {
    // A full disk (or a removed folder) must not stop the container; only the crash cleanup is lost.
  }
}

/** The number of a signal that ended a process (128 + it is the exit code a shell reports). */
export function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 0;
}
