import type { EventSink } from '../../events.js';
import { WorkQueue } from './work-queue.js';

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
}

/**
 * Runs a reconcile function over a work queue: failures requeue the key with backoff and are
 * reported as debug events (conflicts are routine: another writer was first).
 */
export class ControllerRunner {
  readonly queue = new WorkQueue();
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly options: ControllerRunnerOptions) {}

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
        this.options.events?.emit({
          code: 'controllers.reconcile.retry',
          level: 'debug',
          message: `${this.options.name} ${key}: ${err instanceof Error ? err.message : String(err)}`,
        });
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }
}
