import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Api } from '../../../aws/s3.js';
import { type EventSink, silentEvents } from '../../../events.js';
import { listSnapshots } from '../embedded/snapshot.js';
import { listSegments } from '../embedded/wal.js';
import { logKey, type StateTarget, snapKey } from './layout.js';
import { isFenced } from './lease.js';
import { type LogCursor, readLogChunk } from './log-tail.js';
import type { PreparedShipping } from './prepare.js';
import { pruneShipped } from './prune.js';

/** Options for {@link StateShipper}. */
export interface StateShipperOptions {
  readonly s3: S3Api;
  readonly target: StateTarget;
  readonly dataDir: string;
  /** Called once when a newer master claimed the next generation: stop serving writes (exit). */
  readonly onFenced?: (generation: number) => void;
  /** Gather commits this long before an upload (fewer, larger objects). @default 200 */
  readonly batchMs?: number;
  /** Largest log object. @default 8388608 (8 MiB) */
  readonly maxChunkBytes?: number;
  /** How often the lease of the next generation is looked for. @default 1000 */
  readonly fenceCheckMs?: number;
  /** Shipped snapshots kept; older snapshots and log chunks they cover are deleted. @default 3 */
  readonly keepSnapshots?: number;
  /** First and largest wait between retries while S3 fails (doubling). @default 250, 30000 */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
  /** @default Date.now */
  readonly now?: () => number;
}

/** How far shipping is: what the control plane logs and exports as metrics. */
export interface ShippingStatus {
  readonly generation: number;
  /** Newest revision the store acknowledged. */
  readonly durableRevision: number;
  /** Newest revision in S3. */
  readonly shippedRevision: number;
  /** Age of the oldest acknowledged write not yet in S3 (0 when caught up): the current RPO. */
  readonly lagMs: number;
  /** Largest lag seen at an upload since start. */
  readonly maxLagMs: number;
  /** Local log bytes not yet in S3 (the backlog lives on disk, in the log itself). */
  readonly backlogBytes: number;
  /** Uploads failed in a row; 0 when the last one worked. */
  readonly failures: number;
  readonly lastError?: string;
  readonly fenced: boolean;
}

const MAX_MARKS = 10_000;

/**
 * Ships the embedded store's log to S3 behind the write path: the store's `onCommit` only records
 * the durable revision and wakes the loop; the loop reads new records from the log files (the local
 * log is the backlog, so an S3 outage costs disk, not memory — `retainSegmentsFrom` keeps snapshot
 * pruning off unshipped segments), uploads them in chunks, and retries with doubling back-off while
 * S3 fails. It also uploads the store's own snapshots, prunes what they cover, and looks for a newer
 * writer generation, calling `onFenced` when one appears.
 */
export class StateShipper {
  private cursor: LogCursor;
  private durable: number;
  private shipped: number;
  private readonly marks: { rev: number; at: number }[] = [];
  private maxLag = 0;
  private backlog = 0;
  private failures = 0;
  private lastError: string | undefined;
  private fenced = false;
  private stopping = false;
  private wake: (() => void) | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private shipping: Promise<void> = Promise.resolve();
  private lastFenceCheck = 0;
  private uploadedSnapshot: number;
  private readonly now: () => number;
  private readonly events: EventSink;

  constructor(
    private readonly options: StateShipperOptions,
    readonly prepared: PreparedShipping,
  ) {
    this.cursor = prepared.cursor;
    this.durable = prepared.revision;
    this.shipped = prepared.revision;
    this.uploadedSnapshot = prepared.revision;
    this.now = options.now ?? Date.now;
    this.events = options.events ?? silentEvents;
  }

  /** Hooks for `openEmbeddedStore`: commit notification and the segments to keep. */
  storeHooks(): { onCommit: (revision: number) => void; retainSegmentsFrom: () => number } {
    return {
      onCommit: (revision) => this.committed(revision),
      retainSegmentsFrom: () => this.cursor.segment,
    };
  }

  start(): void {
    this.loop ??= this.run();
  }

  status(): ShippingStatus {
    const oldest = this.marks[0];
    return {
      generation: this.prepared.generation,
      durableRevision: this.durable,
      shippedRevision: this.shipped,
      lagMs: oldest ? this.now() - oldest.at : 0,
      maxLagMs: this.maxLag,
      // Measured at each round; nothing is waiting once every acknowledged write is uploaded.
      backlogBytes: oldest ? this.backlog : 0,
      failures: this.failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      fenced: this.fenced,
    };
  }

  /** Ships everything durable now (throws when S3 fails). */
  async flush(): Promise<void> {
    await this.shipLog();
  }

  /** Stops the loop after a last attempt to ship what is durable (errors are reported, not thrown). */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.batchTimer);
    this.wake?.();
    await this.loop;
    try {
      await this.shipLog();
    } catch (err) {
      this.report(err);
    }
  }

  private committed(revision: number): void {
    if (revision <= this.durable) return;
    this.durable = revision;
    const last = this.marks.at(-1);
    // Capped: at the cap the newest mark absorbs later revisions, keeping its older time (lag errs high).
    if (this.marks.length >= MAX_MARKS && last) last.rev = revision;
    else this.marks.push({ rev: revision, at: this.now() });
    this.batchTimer ??= setTimeout(() => {
      this.batchTimer = undefined;
      this.wake?.();
    }, this.options.batchMs ?? 200);
  }

  private async run(): Promise<void> {
    const fenceCheckMs = this.options.fenceCheckMs ?? 1000;
    while (!this.stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, fenceCheckMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.stopping) return;
      try {
        await this.round(fenceCheckMs);
        if (this.failures > 0) {
          this.events.emit({
            code: 'store.shipping-resumed',
            level: 'info',
            message: `shipping to S3 works again after ${this.failures} failed attempts; revision ${this.shipped} is in S3`,
          });
        }
        this.failures = 0;
        this.lastError = undefined;
      } catch (err) {
        this.failures++;
        this.report(err);
        const min = this.options.retryMinMs ?? 250;
        const wait = Math.min(this.options.retryMaxMs ?? 30_000, min * 2 ** Math.min(this.failures - 1, 16));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait * (0.75 + Math.random() / 2));
          this.wake = () => {
            // Only stop cuts a back-off short; commits wait for the retry.
            if (!this.stopping) return;
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  private async round(fenceCheckMs: number): Promise<void> {
    const { s3, target } = this.options;
    await this.measureBacklog();
    if (this.now() - this.lastFenceCheck >= fenceCheckMs) {
      if (await isFenced(s3, target, this.prepared.generation)) {
        this.fence();
        return;
      }
      this.lastFenceCheck = this.now();
    }
    await this.shipLog();
    await this.shipSnapshot();
  }

  /** One upload at a time (the loop and `flush` share it), so chunks never overlap. */
  private shipLog(): Promise<void> {
    const next = this.shipping.catch(() => undefined).then(() => this.shipLogNow());
    this.shipping = next;
    return next;
  }

  private async shipLogNow(): Promise<void> {
    const { s3, target, dataDir } = this.options;
    for (let i = 0; i < 10_000; i++) {
      const chunk = await readLogChunk(
        dataDir,
        this.cursor,
        this.durable,
        this.options.maxChunkBytes ?? 8 << 20,
      );
      if (!chunk) break;
      await s3.putBytes(
        target.ref,
        logKey(target, this.prepared.generation, chunk.first, chunk.last),
        chunk.body,
      );
      this.cursor = chunk.next;
      this.shipped = chunk.last;
      const at = this.now();
      while (this.marks.length > 0 && this.marks[0]!.rev <= chunk.last) {
        this.maxLag = Math.max(this.maxLag, at - this.marks.shift()!.at);
      }
    }
    if (this.marks.length === 0) this.backlog = 0;
  }

  /** Uploads the store's newest snapshot once, then prunes what the kept snapshots cover. */
  private async shipSnapshot(): Promise<void> {
    const { s3, target, dataDir } = this.options;
    const newest = (await listSnapshots(dataDir)).at(-1);
    if (!newest || newest.revision <= this.uploadedSnapshot) return;
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dataDir, newest.name));
    } catch (err) {
      // Replaced by a newer one meanwhile: the next round ships that.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await s3.putBytes(target.ref, snapKey(target, this.prepared.generation, newest.revision), bytes);
    this.uploadedSnapshot = newest.revision;
    await pruneShipped(s3, target, this.options.keepSnapshots ?? 3);
  }

  private async measureBacklog(): Promise<void> {
    if (this.marks.length === 0) {
      this.backlog = 0;
      return;
    }
    let bytes = -this.cursor.offset;
    for (const s of await listSegments(this.options.dataDir)) {
      if (s.first < this.cursor.segment) continue;
      bytes += (await stat(join(this.options.dataDir, s.name)).catch(() => ({ size: 0 }))).size;
    }
    this.backlog = Math.max(0, bytes);
  }

  private fence(): void {
    if (this.fenced) return;
    this.fenced = true;
    this.stopping = true;
    this.events.emit({
      code: 'store.fenced',
      level: 'error',
      message: `a newer master claimed store generation ${this.prepared.generation + 1}: this one (generation ${this.prepared.generation}) must stop serving`,
      data: { generation: this.prepared.generation },
    });
    this.options.onFenced?.(this.prepared.generation);
  }

  private report(err: unknown): void {
    this.lastError = (err as Error).message;
    if (this.failures <= 1 || this.failures % 10 === 0) {
      this.events.emit({
        code: 'store.shipping-failed',
        level: 'warn',
        message: `shipping the store to S3 failed (${this.failures} in a row; ${this.backlog} bytes wait in the local log, retrying with back-off): ${this.lastError}`,
        data: { failures: this.failures, backlogBytes: this.backlog, shippedRevision: this.shipped },
      });
    }
  }
}
