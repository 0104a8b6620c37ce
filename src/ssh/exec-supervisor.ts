import { StringDecoder } from 'node:string_decoder';
import { AbortError } from '../errors.js';
import { CommandTimeoutError } from './errors.js';
import type { ExecOptions, ExecResult } from './remote-shell.js';

/** Collects a command's output (UTF-8 safe across chunk boundaries) and forwards it to the callbacks. */
export class OutputCollector {
  private readonly outDecoder = new StringDecoder('utf8');
  private readonly errDecoder = new StringDecoder('utf8');
  stdout = '';
  stderr = '';

  constructor(private readonly options: ExecOptions) {}

  pushStdout(chunk: Buffer): void {
    const text = this.outDecoder.write(chunk);
    this.stdout += text;
    if (text) this.options.onStdout?.(text);
  }

  pushStderr(chunk: Buffer): void {
    const text = this.errDecoder.write(chunk);
    this.stderr += text;
    if (text) this.options.onStderr?.(text);
  }

  finish(code: number | null, signal?: string): ExecResult {
    this.pushStdout(Buffer.from(this.outDecoder.end()));
    this.pushStderr(Buffer.from(this.errDecoder.end()));
    return { code, ...(signal ? { signal } : {}), stdout: this.stdout, stderr: this.stderr };
  }
}

/**
 * Races a running command against its timeout and abort signal. When either fires, `stop()` kills
 * the command's process group; the returned promise then rejects with CommandTimeoutError or
 * AbortError once the kill has been done.
 */
export function supervise(
  host: string,
  options: ExecOptions,
  output: OutputCollector,
  done: Promise<ExecResult>,
  stop: () => Promise<void>,
): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const kill = (error: () => Error) => {
      if (settled) return;
      cleanup();
      stop()
        .catch(() => undefined)
        .then(() => reject(error()));
    };
    const onAbort = () => kill(() => new AbortError(`${host}: command aborted; its processes were killed`));
    if (options.timeoutMs !== undefined) {
      const ms = options.timeoutMs;
      timer = setTimeout(
        () =>
          kill(
            () =>
              new CommandTimeoutError({ host, timeoutMs: ms, stdout: output.stdout, stderr: output.stderr }),
          ),
        ms,
      );
    }
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    done.then(
      (result) => {
        if (settled) return;
        cleanup();
        resolve(result);
      },
      (err) => {
        if (settled) return;
        cleanup();
        reject(err);
      },
    );
  });
}
