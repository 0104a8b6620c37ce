/** Options of the crash-loop back-off. */
export interface BackoffOptions {
  /** Delay before the second restart; doubles after each further restart. @default 10_000 */
  readonly baseMs?: number;
  /** Upper bound of the delay. @default 300_000 */
  readonly maxMs?: number;
  /** A container that ran at least this long restarts without delay. @default 600_000 */
  readonly resetAfterMs?: number;
}

/**
 * How long to wait before restarting a container that has already been restarted
 * `restartCount` times, like the kubelet: the first restart is immediate, then 10 s, 20 s,
 * 40 s ... up to 5 min; a container that ran for 10 min starts over. Pure.
 */
export function restartDelayMs(restartCount: number, ranForMs: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 10_000;
  const max = options.maxMs ?? 300_000;
  if (restartCount <= 0 || ranForMs >= (options.resetAfterMs ?? 600_000)) return 0;
  return Math.min(max, base * 2 ** (restartCount - 1));
}

/** Delay before retrying an image pull or container creation that failed `failures` times. Pure. */
export function retryDelayMs(failures: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 10_000;
  return Math.min(options.maxMs ?? 300_000, base * 2 ** Math.max(0, failures - 1));
}
