import { createReadStream } from 'node:fs';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { AbortError } from '../errors.js';
import { sleep } from '../timing.js';
import { OutputCollector, supervise } from './exec-supervisor.js';
import { quote } from './quote.js';
import type { ExecOptions, ExecResult, RemoteShell } from './remote-shell.js';

/** First line the wrapper writes on stderr: the PID of the session shell, which leads its process group. */
const PID_MARKER = /^tugboat-pid (\d+)\n/;
const MAX_MARKER_BYTES = 64;

/**
 * Wraps a command so that (1) it always runs under /bin/sh whatever the login shell is, and (2) we
 * learn the process group to kill on timeout or abort. sshd starts every session shell with
 * setsid(), so the shell's PID is the group of everything the command starts.
 */
export function wrapCommand(command: string): string {
  return `printf 'tugboat-pid %s\\n' "$$" >&2; exec /bin/sh -c ${quote(command)}`;
}

/** Kills a process group: TERM, up to 2 s grace, then KILL. */
export function killGroupCommand(pgid: number): string {
  return (
    `kill -TERM -- -${pgid} 2>/dev/null; i=0; ` +
    `while [ $i -lt 20 ] && kill -0 -- -${pgid} 2>/dev/null; do sleep 0.1; i=$((i+1)); done; ` +
    `kill -KILL -- -${pgid} 2>/dev/null; true`
  );
}

/** Options for {@link SshShell.attach}. */
export interface AttachOptions {
  /** Command line for the remote login shell to run; absent: an interactive login shell. @default none */
  readonly command?: string;
  /** Allocate a terminal of this size (pass it when the local stdin is a TTY). @default no pty */
  readonly pty?: { readonly rows: number; readonly cols: number; readonly term: string };
  /** Piped to the session; absent: the session's stdin is closed at once. @default none */
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout: (chunk: Buffer) => void;
  readonly stderr: (chunk: Buffer) => void;
}

/** Exit code of an attached session: the command's, or 128 + the signal number when killed. */
const SIGNALS: Readonly<Record<string, number>> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, PIPE: 13, TERM: 15 };

/** RemoteShell over an established ssh2 connection (see `connectSsh`). */
export class SshShell implements RemoteShell {
  private sftpSession: Promise<SFTPWrapper> | undefined;

  constructor(
    readonly host: string,
    private readonly client: Client,
    private readonly jump?: Client,
  ) {}

  /**
   * `attach` runs synchronously in ssh2's callback: a fast command's exit-status can arrive in the
   * same TCP read as the exec confirmation, and ssh2 emits `exit` while still parsing it, before
   * any code awaiting the channel could listen (seen: about 1 exec in 125 lost its exit code).
   */
  private openExec(command: string, attach?: (channel: ClientChannel) => void): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, channel) => {
        if (err) return reject(err);
        attach?.(channel);
        resolve(channel);
      });
    });
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    // An aborted caller must not start the command at all: stopping it afterwards depends on the
    // PID marker arriving before the command has done anything.
    if (options.signal?.aborted) throw new AbortError();
    let code: number | null = null;
    let signal: string | undefined;
    const channel = await this.openExec(wrapCommand(command), (ch) =>
      ch.on('exit', (c: number | null, s?: string) => {
        code = c ?? null;
        signal = s?.replace(/^SIG/, '') || undefined;
      }),
    );
    const output = new OutputCollector(options);
    let pgid: number | undefined;
    let pgidKnown: () => void = () => {};
    // stdout and stderr travel separately, so a caller can react to stdout (and abort) before the
    // PID marker on stderr has been read; stop() waits briefly for it rather than kill nothing.
    const pgidSeen = new Promise<void>((r) => {
      pgidKnown = r;
    });
    let head: Buffer | undefined = Buffer.alloc(0);
    channel.on('data', (c: Buffer) => output.pushStdout(c));
    channel.stderr.on('data', (c: Buffer) => {
      if (head === undefined) return output.pushStderr(c);
      head = Buffer.concat([head, c]);
      const match = PID_MARKER.exec(head.toString('latin1'));
      if (match?.[1]) {
        pgid = Number(match[1]);
        pgidKnown();
        const rest = head.subarray(match[0].length);
        head = undefined;
        if (rest.length) output.pushStderr(rest);
      } else if (head.length > MAX_MARKER_BYTES || head.includes(0x0a)) {
        const all = head;
        head = undefined;
        output.pushStderr(all);
      }
    });
    const done = new Promise<ExecResult>((resolve, reject) => {
      channel.once('error', reject);
      channel.once('close', () => {
        if (head?.length) output.pushStderr(head);
        head = undefined;
        resolve(output.finish(code, signal));
      });
    });
    const closed = new Promise<void>((r) => channel.once('close', () => r()));
    channel.end(options.stdin ?? '');
    const stop = async () => {
      if (pgid === undefined) await Promise.race([pgidSeen, closed, sleep(3_000)]);
      if (pgid !== undefined) {
        const killer = await this.openExec(killGroupCommand(pgid)).catch(() => undefined);
        if (killer) {
          killer.resume();
          killer.stderr.resume();
          await new Promise<void>((r) => {
            const t = setTimeout(r, 10_000);
            killer.once('close', () => {
              clearTimeout(t);
              r();
            });
          });
        }
      }
      channel.close();
      await Promise.race([closed, sleep(5_000)]);
    };
    return supervise(this.host, options, output, done, stop);
  }

  /**
   * A session with the caller's streams, like `ssh host [command]`: the command goes to the login
   * shell unchanged (OpenSSH semantics), output is streamed as it comes. Resolves with the exit
   * code (128 + signal number when the command was killed by a signal).
   */
  attach(options: AttachOptions): Promise<number> {
    return new Promise((resolve, reject) => {
      const onChannel = (err: Error | undefined, channel: ClientChannel) => {
        if (err) return reject(err);
        let code: number | null = null;
        let signal: string | undefined;
        channel.on('data', (c: Buffer) => options.stdout(c));
        channel.stderr.on('data', (c: Buffer) => options.stderr(c));
        channel.on('exit', (c: number | null, s?: string) => {
          code = c ?? null;
          signal = s?.replace(/^SIG/, '');
        });
        channel.once('error', reject);
        channel.once('close', () => {
          options.stdin?.unpipe(channel);
          options.stdin?.pause();
          resolve(code ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : 255));
        });
        if (options.stdin) options.stdin.pipe(channel);
        else channel.end();
      };
      const pty = options.pty
        ? { rows: options.pty.rows, cols: options.pty.cols, term: options.pty.term }
        : false;
      if (options.command === undefined) this.client.shell(pty || false, onChannel);
      else this.client.exec(options.command, { pty }, onChannel);
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise((resolve, reject) => {
      this.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)));
    });
    return this.sftpSession;
  }

  async upload(source: string | Buffer, remotePath: string, mode: number): Promise<void> {
    const sftp = await this.sftp();
    const where = `${this.host}:${remotePath}`;
    const call = <T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void) =>
      new Promise<T>((resolve, reject) =>
        fn((err, value) =>
          err
            ? reject(new Error(`upload to ${where} failed: ${err.message} (does the directory exist?)`))
            : resolve(value as T),
        ),
      );
    // Create (or truncate) with the mode and fix the mode of an existing file before writing any byte.
    const handle = await call<Buffer>((cb) => sftp.open(remotePath, 'w', { mode }, cb));
    await call((cb) => sftp.fchmod(handle, mode, cb));
    await call((cb) => sftp.close(handle, cb));
    await new Promise<void>((resolve, reject) => {
      const out = sftp.createWriteStream(remotePath, { flags: 'w', mode });
      const fail = (err: Error) => reject(new Error(`upload to ${where} failed: ${err.message}`));
      out.once('error', fail);
      out.once('close', () => resolve());
      if (typeof source === 'string') {
        const input = createReadStream(source);
        input.once('error', fail);
        input.pipe(out);
      } else {
        out.end(source);
      }
    });
  }

  async close(): Promise<void> {
    const ended = (c: Client) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5_000);
        c.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        c.end();
      });
    await ended(this.client);
    if (this.jump) await ended(this.jump);
  }
}
