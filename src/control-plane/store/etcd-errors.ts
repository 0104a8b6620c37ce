import { sleep } from '../../timing.js';
import { StoreError } from './types.js';

/**
 * Errors after which the same request may succeed against another member or a new leader:
 * connection failures and etcd's own "no leader" / "leader changed" / "request timed out".
 */
export function isTransientEtcdError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /no leader|leader changed|timed out|unavailable|ECONNREFUSED|ECONNRESET|No connection established|too many requests|Deadline exceeded|not capable|stopped/i.test(
    message,
  );
}

/** Maps etcd's error messages onto StoreError reasons; anything else passes through. */
export function mapEtcdError(err: unknown, context: string): unknown {
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes('required revision has been compacted')) {
    return new StoreError(
      'Compacted',
      `${context}: the revision was compacted: list again at the current revision`,
    );
  }
  if (message.includes('required revision is a future revision')) {
    return new StoreError(
      'FutureRevision',
      `${context}: the revision is ahead of the store: use an older revision`,
    );
  }
  if (/request is too large|message larger than max|larger than max/i.test(message)) {
    return new StoreError('TooLarge', `${context}: etcd refused the request as too large: store less`);
  }
  if (isTransientEtcdError(err)) {
    return new StoreError(
      'Unavailable',
      `${context}: etcd is unavailable (${message.split('\n')[0]}): check that the members run, and the endpoints and TLS settings`,
    );
  }
  return err;
}

export interface RetryOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Called before each retry with the attempt number (1-based). */
  readonly onRetry?: (attempt: number, err: unknown) => void;
}

/**
 * Runs `fn` until it succeeds, fails with a non-transient error, or `timeoutMs` passes, with
 * exponential backoff (50 ms doubling to 1 s). `fn` learns whether it is a retry so writes can
 * recognise their own earlier, possibly applied, attempt.
 */
export async function withRetry<T>(options: RetryOptions, fn: (retry: boolean) => Promise<T>): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let delay = 50;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt > 0);
    } catch (err) {
      if (!isTransientEtcdError(err)) throw err;
      if (Date.now() + delay > deadline) throw err;
      options.onRetry?.(attempt + 1, err);
      await sleep(delay);
      delay = Math.min(delay * 2, 1_000);
    }
  }
}

/** The smallest key greater than every key starting with `prefix` (etcd's range_end for prefixes). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
