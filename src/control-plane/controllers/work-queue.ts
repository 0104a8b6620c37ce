/**
 * A de-duplicating work queue with per-key exponential backoff, after client-go's rate-limited
 * queue: a key is never processed by two workers at once, a key added while processing is
 * processed again afterwards, and failing keys come back after 5 ms, 10 ms, ... up to `maxDelayMs`.
 */
export interface WorkQueueOptions {
  /** First retry delay of a failing key. @default 5 */
  readonly baseDelayMs?: number;
  /** Longest retry delay. @default 30000 */
  readonly maxDelayMs?: number;
  /**
   * Each retry delay is stretched by a random fraction up to this, so keys that failed together
   * (one bad object behind many) do not retry in lockstep. @default 0.1
   */
  readonly jitter?: number;
  /** Random source in [0, 1) for the jitter (tests pass a seeded one). @default Math.random */
  readonly random?: () => number;
  /**
   * Overall retry rate of the queue (a token bucket over all keys, as client-go's default
   * controller rate limiter): many failing keys together retry at most this often. @default 10
   */
  readonly retriesPerSecond?: number;
  /** Retries allowed at once before the overall rate applies. @default 100 */
  readonly retryBurst?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private closed = false;
  private tokens: number | undefined;
  private tokensAt = 0;

  constructor(private readonly options: WorkQueueOptions = {}) {}

  /** Queues `key` unless it is already waiting. */
  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
  }

  /** Queues `key` after `ms` (earliest request wins). */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.due <= due) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.timers.set(key, { timer, due });
  }

  /**
   * Queues `key` after its backoff delay, which doubles with each consecutive failure (plus
   * jitter); returns the delay chosen in ms.
   */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const base = this.options.baseDelayMs ?? 5;
    const backoff = Math.min(this.options.maxDelayMs ?? 30_000, base * 2 ** Math.min(n, 40));
    const jitter = (this.options.jitter ?? 0.1) * (this.options.random ?? Math.random)();
    const delay = Math.round(Math.max(backoff * (1 + jitter), this.reserveRetry()));
    this.addAfter(key, delay);
    return delay;
  }

  /** Takes a token of the overall retry bucket; returns how long until it is available (ms). */
  private reserveRetry(): number {
    const rate = this.options.retriesPerSecond ?? 10;
    const burst = this.options.retryBurst ?? 100;
    const now = Date.now();
    const tokens = Math.min(burst, (this.tokens ?? burst) + ((now - this.tokensAt) * rate) / 1000);
    this.tokens = tokens - 1;
    this.tokensAt = now;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / rate;
  }

  /** Consecutive failures of `key` since it last succeeded. */
  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resets the backoff of a key that succeeded. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process, waiting for one; undefined once the queue is shut down. */
  async get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return key;
    }
    if (this.closed) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; re-queues it if it was added meanwhile. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  get length(): number {
    return this.queue.length;
  }

  /** Stops handing out keys; waiting `get()` calls resolve with undefined. */
  shutdown(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
