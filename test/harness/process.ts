import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

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
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
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

/**
 * Starts a server process and waits (bounded) until `ready` says so. Stops it by PID only.
 * Fails with the process output if it exits early or does not become ready in time.
 */
export async function startProcess(
  command: string,
  args: readonly string[],
  options: StartOptions,
): Promise<StartedProcess> {
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      out += `\nspawn error: ${err.message}`;
      exited = true;
      resolve();
    });
  });
  const started: StartedProcess = {
    child,
    pid: child.pid ?? -1,
    output: () => out,
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
    if (exited) throw new Error(`${command} exited before it was ready:\n${out}`);
    if (await options.ready().catch(() => false)) return started;
    await new Promise((r) => setTimeout(r, 100));
  }
  await started.stop();
  throw new Error(`${command} was not ready within ${options.timeoutMs ?? 20_000} ms:\n${out}`);
}
