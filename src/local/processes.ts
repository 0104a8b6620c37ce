import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { sleep } from '../timing.js';

/** A free TCP port on `host`, chosen by the kernel. */
export function freeLoopbackPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port')),
      );
    });
  });
}

/**
 * Starts `node <args>` detached from this process (it outlives the CLI), with stdout and stderr
 * appended to `logFile`. Returns its PID.
 */
export function spawnDetached(args: readonly string[], logFile: string, env: NodeJS.ProcessEnv): number {
  const fd = openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(process.execPath, [...args], { detached: true, stdio: ['ignore', fd, fd], env });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${args.join(' ')}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** True while `pid` runs and is not a zombie (PID 1 may reap orphans late, so kill -0 alone lies). */
export function isRunning(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) {
    try {
      const state = readFileSync(stat, 'utf8').replace(/^.*\) /s, '')[0];
      return state !== undefined && state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone (bounded). */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!isRunning(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && isRunning(pid); i++) await sleep(100);
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(file: string, lines = 15): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
