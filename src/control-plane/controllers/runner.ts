import { isStatus } from '../../client/api-error.js';
import type { EventSink } from '../../events.js';
import { WorkQueue, type WorkQueueOptions } from './work-queue.js';

/** What one reconcile asks for afterwards. */
export interface ReconcileResult {
  /** Reconcile this key again after this many milliseconds (deadlines, minReadySeconds). */
  readonly requeueAfterMs?: number;
}

export interface ControllerRunnerOptions {
  readonly name: string;
  /** Keys reconciled concurrently (never the same key twice at once). @default 2 */
  readonly workers?: number;
  readonly events?: EventSink;
  readonly reconcile: (key: string) => Promise<ReconcileResult | undefined>;
  /**
   * Told of each failed reconcile except conflicts (routine: another writer was first), e.g. to
   * record a FailedSync Event on the object. Must not throw; a throw is ignored.
   */
  readonly onError?: (key: string, err: unknown, failures: number) => void | Promise<void>;
  /** Backoff of failing keys. @default 5 ms doubling to 30 s, 10% jitter */
  readonly backoff?: WorkQueueOptions;
}

/**
 * Runs a reconcile function over a work queue. Each reconcile is isolated: whatever it throws
 * (an API error, or a malformed object it could not read) requeues that key with jittered
 * exponential backoff, is reported, and leaves every other key and the process running.
 */
export class ControllerRunner {
  readonly queue: WorkQueue;
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly options: ControllerRunnerOptions) {
    this.queue = new WorkQueue(options.backoff);
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  start(): void {
    for (let i = 0; i < (this.options.workers ?? 2); i++) this.loops.push(this.loop());
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        const result = await this.options.reconcile(key);
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        const delay = this.queue.addRateLimited(key);
        const conflict = isStatus(err, 409);
        this.options.events?.emit({
          code: 'controllers.reconcile.retry',
          level: conflict ? 'debug' : 'warn',
          message: `${this.options.name} ${key}: ${err instanceof Error ? err.message : String(err)}; retrying in ${delay} ms`,
        });
        if (!conflict) await this.report(key, err);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async report(key: string, err: unknown): Promise<void> {
    try {
      await this.options.onError?.(key, err, this.queue.failureCount(key));
    } catch {
      // Reporting is best effort; the retry is already queued.
    }
  }
}
