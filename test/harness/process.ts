import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (the kernel picks it; there is a small race, which is fine for tests). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface StartedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The end (20 000 bytes) of what the process wrote to stdout and stderr, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Resolves true when the process is ready; polled every 100 ms. */
  readonly ready: () => Promise<boolean>;
  /** @default 20_000 */
  readonly timeoutMs?: number;
}

/** How much of the output {@link StartedProcess.output} returns (the end of it). */
const OUTPUT_TAIL = 20_000;

/** The last `max` bytes of the file, as text. */
function readTail(path: string, max: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, max));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString();
  } finally {
    closeSync(fd);
  }
}

/**
 * Starts a server process and waits (bounded) until `ready` says so. Stops it by PID only.
 * Fails with the process output if it exits early or does not become ready in time.
 *
 * The output goes to a file, not a pipe: a test blocked in `spawnSync`/`execFileSync` does not
 * drain pipes, and a chatty server (moto_server logs every request) would then block on a full
 * pipe mid-request and hang the very command the test waits for. The file is removed when the
 * process exits; its end is kept for {@link StartedProcess.output}.
 */
export async function startProcess(
  command: string,
  args: readonly string[],
  options: StartOptions,
): Promise<StartedProcess> {
  const logDir = mkdtempSync(join(tmpdir(), 'tugboat-proc-'));
  const logPath = join(logDir, 'output.log');
  const logFd = openSync(logPath, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  /** Set once the process is gone and its log file removed. */
  let final: string | undefined;
  const finish = (extra = '') => {
    if (final !== undefined) return;
    final = (readTail(logPath, OUTPUT_TAIL) + extra).slice(-OUTPUT_TAIL);
    rmSync(logDir, { recursive: true, force: true });
  };
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      finish();
      resolve();
    });
    child.once('error', (err) => {
      exited = true;
      finish(`\nspawn error: ${err.message}`);
      resolve();
    });
  });
  const output = () => final ?? readTail(logPath, OUTPUT_TAIL);
  const started: StartedProcess = {
    child,
    pid: child.pid ?? -1,
    output,
    async stop(graceMs = 5_000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${command} exited before it was ready:\n${output()}`);
    if (await options.ready().catch(() => false)) return started;
    await new Promise((r) => setTimeout(r, 100));
  }
  await started.stop();
  throw new Error(`${command} was not ready within ${options.timeoutMs ?? 20_000} ms:\n${output()}`);
}
