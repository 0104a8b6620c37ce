import type { ClusterStatus } from '../cluster/status.js';

/** Reads the cluster's AWS side (stack, groups, instances, EIPs): `clusterStatus` with the user's credentials. */
export type CloudSource = () => Promise<ClusterStatus>;

/** What the page gets about the AWS side: the latest status, or why it could not be read. */
export type CloudMessage =
  | { readonly r: 'aws'; readonly t: 'STATUS'; readonly status: ClusterStatus; readonly at: string }
  | { readonly r: 'aws'; readonly t: 'ERROR'; readonly message: string; readonly at: string };

/**
 * AWS has no watch: the server reads the cluster's status every `intervalMs` while at least one
 * page is connected (never when none is), and pushes it to the pages on the same event stream as
 * the watches, so the page itself never polls. One read at a time; a failed read is a message.
 */
export class CloudRelay {
  private readonly subscribers = new Set<(m: CloudMessage) => void>();
  private last: CloudMessage | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private stopped = false;

  constructor(
    private readonly source: CloudSource,
    private readonly intervalMs: number,
  ) {}

  /** Sends the latest status (reading it now if there is none yet), then each new one. */
  subscribe(fn: (m: CloudMessage) => void): () => void {
    this.subscribers.add(fn);
    if (this.last) fn(this.last);
    if (!this.timer && !this.stopped) {
      if (!this.last) void this.read();
      this.timer = setInterval(() => void this.read(), this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.subscribers.delete(fn);
      if (this.subscribers.size === 0) this.pause();
    };
  }

  stop(): void {
    this.stopped = true;
    this.subscribers.clear();
    this.pause();
  }

  private pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async read(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    const at = new Date().toISOString();
    try {
      this.last = { r: 'aws', t: 'STATUS', status: await this.source(), at };
    } catch (err) {
      this.last = { r: 'aws', t: 'ERROR', message: err instanceof Error ? err.message : String(err), at };
    } finally {
      this.reading = false;
    }
    if (this.stopped) return;
    for (const fn of this.subscribers) fn(this.last);
  }
}
