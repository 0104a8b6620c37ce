import { readdirSync, readFileSync, readlinkSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './shell.js';

/**
 * Whether a PID is a live process. Orphans are reaped late by PID 1, so a killed process may
 * linger as a zombie: /proc/PID/stat state `Z` (or `X`) counts as gone, unlike `kill -0`.
 */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** The namespace identity of a process, e.g. `net:[4026532201]`, or undefined if it is gone. */
export function namespaceOf(pid: number, kind: 'net' | 'mnt'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

/**
 * Live processes inside a simulated host: those in its network namespace or its mount namespace.
 * That covers sshd, dockerd and containerd, SSH sessions, and whatever a session started in the
 * background (tugboat's supervised control plane and agent where there is no systemd).
 */
export function processesIn(netns: string, mntns: string | undefined): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (namespaceOf(pid, 'net') === netns || (mntns && namespaceOf(pid, 'mnt') === mntns)) {
      if (isAlive(pid)) pids.push(pid);
    }
  }
  return pids;
}

/** Signals processes by PID, ignoring those already gone. */
export function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** Waits (bounded) until none of `pids` is alive; returns those still alive at the deadline. */
export async function waitGone(pids: () => readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids().filter(isAlive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

/**
 * Terminates every process of a host: SIGTERM, then SIGKILL after `graceMs`, then waits until
 * none is alive. Returns the PIDs that survived (empty on success).
 */
export async function terminateAll(list: () => number[], graceMs: number): Promise<number[]> {
  signal(list(), 'SIGTERM');
  if ((await waitGone(list, graceMs)).length === 0) return [];
  signal(list(), 'SIGKILL');
  return waitGone(list, 10_000);
}

/** The cgroup v1/v2 directories named `name` directly under each hierarchy. */
export function cgroupDirs(name: string): string[] {
  const base = '/sys/fs/cgroup';
  const dirs: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return dirs;
  }
  for (const hierarchy of [...entries.map((e) => join(base, e)), base]) {
    const dir = join(hierarchy, name);
    try {
      readdirSync(dir);
      dirs.push(dir);
    } catch {
      // not in this hierarchy
    }
  }
  return [...new Set(dirs)];
}

/** Removes a cgroup directory tree (children first; cgroupfs only lets empty groups go). */
export function removeCgroup(dir: string): void {
  let entries: { name: string; isDirectory(): boolean }[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeCgroup(join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch {
    // still busy or already gone; the leftover check reports it
  }
}

/** PIDs in a cgroup directory and every group below it (containers sit in child groups). */
export function pidsInCgroupTree(dir: string): number[] {
  const pids: number[] = [];
  try {
    const procs = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
    for (const line of procs.split('\n')) if (line.trim()) pids.push(Number(line));
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) pids.push(...pidsInCgroupTree(join(dir, e.name)));
  } catch {
    // gone meanwhile
  }
  return pids.filter(isAlive);
}
