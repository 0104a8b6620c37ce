import { AbortError, DeploymentError } from '../errors.js';
import { sleep } from '../timing.js';

/** Throws `AbortError` when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}

/** How a bounded wait polls. */
export interface PollOptions {
  readonly signal?: AbortSignal;
  /** Give up after this long. @default 1_800_000 (30 minutes) */
  readonly timeoutMs?: number;
  /** Time between polls. @default 5_000 */
  readonly intervalMs?: number;
  /** What is being waited for, for the timeout message (e.g. `stack tugboat-demo`). */
  readonly what: string;
  /** How to fix a timeout, appended to the message. @default 're-run the same command to keep waiting' */
  readonly hint?: string;
}

/**
 * Calls `check` until it returns a value other than `undefined`, sleeping between calls.
 * Bounded by `timeoutMs` (DeploymentError WAIT_TIMEOUT) and by the abort signal (AbortError).
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 1_800_000;
  const intervalMs = options.intervalMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    throwIfAborted(options.signal);
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() + intervalMs > deadline) {
      const hint = options.hint ?? 're-run the same command to keep waiting';
      throw new DeploymentError(
        'WAIT_TIMEOUT',
        `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${options.what}: ${hint}`,
      );
    }
    await sleep(intervalMs, options.signal);
  }
}
