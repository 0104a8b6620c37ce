import { setTimeout as delay } from 'node:timers/promises';
import { AbortError } from './errors.js';

/** Sleeps `ms` (node:timers/promises), waking early with tugboat's `AbortError` when `signal` fires. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new AbortError();
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    if (signal?.aborted) throw new AbortError();
    throw err;
  }
}

/**
 * "Equal jitter" (AWS Architecture Blog, Exponential Backoff And Jitter): a random delay between
 * half of `ms` and `ms`, so many clients retrying after the same failure (every node agent after an
 * API server restart, every host after a network blip) spread out instead of arriving together,
 * while no retry waits longer than the back-off said. `random` is for tests.
 */
export function jitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms / 2 + random() * (ms / 2));
}
