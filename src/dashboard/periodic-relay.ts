/**
 * A source the dashboard reads on a timer because it has no watch (the AWS side, node metrics):
 * read every `intervalMs` only while at least one page is subscribed, one read at a time, and each
 * message of a read sent to every page. Subclasses say what a new page gets first and what a read sends.
 */
export abstract class PeriodicRelay<M> {
  private readonly subscribers = new Set<(m: M) => void>();
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private stopped = false;

  constructor(private readonly intervalMs: number) {}

  /** What a page gets on subscribing (before the next read). */
  protected abstract snapshot(): readonly M[];
  /** One read; returns the messages for the pages (a failure is a message too). */
  protected abstract read(): Promise<readonly M[]>;

  /** Sends the snapshot, then every read's messages, until the returned function is called. */
  subscribe(fn: (m: M) => void): () => void {
    this.subscribers.add(fn);
    for (const m of this.snapshot()) fn(m);
    if (!this.timer && !this.stopped) {
      void this.tick();
      this.timer = setInterval(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.subscribers.delete(fn);
      if (this.subscribers.size === 0) this.pause();
    };
  }

  /** Reads now (after an action changed the source), when a page is subscribed. */
  refresh(): void {
    if (this.subscribers.size > 0 && !this.stopped) void this.tick();
  }

  /** Stops reading for good. */
  stop(): void {
    this.stopped = true;
    this.subscribers.clear();
    this.pause();
  }

  private pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    let messages: readonly M[];
    try {
      messages = await this.read();
    } finally {
      this.reading = false;
    }
    if (this.stopped) return;
    for (const m of messages) for (const fn of this.subscribers) fn(m);
  }
}
