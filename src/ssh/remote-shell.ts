import { RemoteCommandError } from '../errors.js';
import { CommandTimeoutError } from './errors.js';
import { redact, tail } from './redact.js';

/** Options for one command. */
export interface ExecOptions {
  /** Bytes written to the command's standard input (the way secrets reach a host). @default none, stdin closed */
  readonly stdin?: string | Buffer;
  /** Kill the command's whole process group after this long and reject with CommandTimeoutError. @default no limit */
  readonly timeoutMs?: number;
  /** Aborting kills the command's process group and rejects with AbortError. */
  readonly signal?: AbortSignal;
  /** Called with each chunk of standard output as it arrives (UTF-8 decoded). */
  readonly onStdout?: (chunk: string) => void;
  /** Called with each chunk of standard error as it arrives (UTF-8 decoded). */
  readonly onStderr?: (chunk: string) => void;
}

/** How a command ended. A non-zero exit is a result, not an error: see {@link runChecked}. */
export interface ExecResult {
  /** Exit status, or null when the command was ended by a signal. */
  readonly code: number | null;
  /** Signal name (without `SIG`) when the command was ended by one. */
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A shell on one host: over SSH for cloud and on-premises hosts, local for `tugboat local`.
 * Commands run under `/bin/sh -c`; interpolate values with `quote()` / the `sh` tag only.
 */
export interface RemoteShell {
  /** How the host is named in errors and events. */
  readonly host: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Writes a local file (path) or bytes to `remotePath` with `mode` (e.g. 0o600). The mode is
   * applied before any byte is written, so secrets are never readable by others. The parent
   * directory must exist.
   */
  upload(source: string | Buffer, remotePath: string, mode: number): Promise<void>;
  close(): Promise<void>;
}

/** Options for {@link runChecked}. */
export interface RunOptions extends ExecOptions {
  /** What the command does, for the error message (e.g. `preflight`, `install service`). */
  readonly step: string;
  /** Values to redact from the stderr tail in the error (keys, tokens). @default [] */
  readonly secrets?: readonly string[];
  /** How many stderr lines the error keeps. @default 20 */
  readonly tailLines?: number;
}

/**
 * Runs a command and throws RemoteCommandError (host, step, exit code, last stderr lines with
 * secrets redacted) unless it exits 0. A timeout becomes a RemoteCommandError for the step too.
 */
export async function runChecked(
  shell: RemoteShell,
  command: string,
  options: RunOptions,
): Promise<ExecResult> {
  const secrets = options.secrets ?? [];
  let result: ExecResult;
  try {
    result = await shell.exec(command, options);
  } catch (err) {
    if (err instanceof CommandTimeoutError) {
      throw new RemoteCommandError({
        host: shell.host,
        step: `${options.step} (timed out after ${err.timeoutMs} ms)`,
        exitCode: null,
        stderrTail: redact(tail(err.stderr, options.tailLines), secrets),
        cause: err,
      });
    }
    throw err;
  }
  if (result.code !== 0) {
    throw new RemoteCommandError({
      host: shell.host,
      step: options.step,
      exitCode: result.code,
      ...(result.signal ? { signal: result.signal } : {}),
      stderrTail: redact(tail(result.stderr, options.tailLines), secrets),
    });
  }
  return result;
}
