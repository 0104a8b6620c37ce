import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { OutputCollector, supervise } from './exec-supervisor.js';
import type { ExecOptions, ExecResult, RemoteShell } from './remote-shell.js';

/** Options for {@link LocalShell}. */
export interface LocalShellOptions {
  /** Name used in errors and events. @default 'localhost' */
  readonly host?: string;
  /** Environment of the commands. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** How long a killed command gets between SIGTERM and SIGKILL. @default 2000 */
  readonly killGraceMs?: number;
}

/**
 * RemoteShell on this machine (`/bin/sh -c`), for `tugboat local` and tests. Each command runs in
 * its own process group so a timeout or abort kills everything it started.
 */
export class LocalShell implements RemoteShell {
  readonly host: string;

  constructor(private readonly options: LocalShellOptions = {}) {
    this.host = options.host ?? 'localhost';
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const child = spawn('/bin/sh', ['-c', command], {
      detached: true,
      env: this.options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const output = new OutputCollector(options);
    child.stdout.on('data', (c: Buffer) => output.pushStdout(c));
    child.stderr.on('data', (c: Buffer) => output.pushStderr(c));
    // A command that exits without reading its stdin makes the write fail with EPIPE: not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const done = new Promise<ExecResult>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(output.finish(code, signal?.replace(/^SIG/, ''))));
    });
    const stop = async () => {
      const group = child.pid;
      if (group === undefined) return;
      const signalGroup = (sig: NodeJS.Signals) => {
        try {
          process.kill(-group, sig);
        } catch {
          // The group is already gone.
        }
      };
      signalGroup('SIGTERM');
      const grace = this.options.killGraceMs ?? 2_000;
      const timer = setTimeout(() => signalGroup('SIGKILL'), grace);
      // Bounded: a process that left the group may still hold the pipes open.
      let giveUp: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (giveUp = setTimeout(r, grace + 3_000)))]);
      clearTimeout(timer);
      clearTimeout(giveUp);
      signalGroup('SIGKILL');
    };
    return supervise(this.host, options, output, done, stop);
  }

  async upload(source: string | Buffer, remotePath: string, mode: number): Promise<void> {
    const handle = await open(remotePath, 'w', mode);
    try {
      await handle.chmod(mode);
      if (typeof source === 'string') {
        for await (const chunk of createReadStream(source)) await handle.write(chunk as Buffer);
      } else {
        await handle.writeFile(source);
      }
    } finally {
      await handle.close();
    }
  }

  async close(): Promise<void> {}
}
