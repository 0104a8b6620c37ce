import { mkdir } from 'node:fs/promises';
import { silentEvents } from '../../../events.js';
import {
  type DeleteResult,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  StoreError,
  type TxnResult,
  type Watch,
  type WatchEvent,
  type WatchHandlers,
  type WatchOptions,
} from '../types.js';
import { startAutoCompaction } from './compactor.js';
import { migrateToFormat2, restrictModes } from './data-dir.js';
import { DIR_MODE, nodeFileSystem, type StoreFileSystem } from './file-io.js';
import { type DirLock, lockDataDir } from './lock.js';
import { writeMeta } from './meta.js';
import type { Mvcc } from './mvcc.js';
import { deferred, type Op, type Pending } from './ops.js';
import type { EmbeddedStoreOptions } from './options.js';
import { RecordType, type StoreRecord } from './record.js';
import { type RecoveredState, recoverState } from './recover.js';
import { SnapshotSchedule } from './snapshot-schedule.js';
import { segmentName, WalWriter } from './wal.js';
import { WatcherHub } from './watchers.js';

export type { EmbeddedStoreOptions } from './options.js';

/**
 * Opens (or creates) an embedded store: pure JavaScript, one data directory, acknowledged writes
 * survive `kill -9`. Recovery loads the snapshot, replays the log and cuts off a torn tail; other
 * damage refuses to open with a {@link StoreDamageError} (see `tugboat store repair`).
 */
export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<Store> {
  return EmbeddedStore.open(options);
}

class EmbeddedStore implements Store {
  private readonly hub = new WatcherHub();
  /** Writes accepted but not yet durable, by key: later writers validate against these. */
  private readonly pending = new Map<string, Pending>();
  private nextRevision: number;
  private failure: StoreError | undefined;
  private closed = false;
  private stopCompactor: () => void = () => undefined;
  private writer!: WalWriter<Op>;
  private readonly snapshots: SnapshotSchedule;
  private readonly fs: StoreFileSystem;

  private constructor(
    private readonly options: EmbeddedStoreOptions,
    private readonly mvcc: Mvcc,
    private readonly lock: DirLock,
    recovered: RecoveredState,
  ) {
    this.nextRevision = mvcc.revision;
    this.fs = options.fs ?? nodeFileSystem;
    this.snapshots = new SnapshotSchedule(
      options.dataDir,
      this.fs,
      options.events ?? silentEvents,
      options.snapshotLogBytes ?? 64 << 20,
      // Closed segments only: the open one is added when it closes.
      recovered.logBytes - recovered.lastSegmentBytes,
      recovered.snapshotBytes,
      recovered.snapshot,
      options.retainSegmentsFrom,
    );
  }

  static async open(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const dir = options.dataDir;
    const events = options.events ?? silentEvents;
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    const lock = lockDataDir(dir);
    try {
      await restrictModes(dir);
      const recovered = await recoverState(dir, events);
      const { mvcc, snapshot, logBytes } = recovered;
      const store = new EmbeddedStore(options, mvcc, lock, recovered);
      let segment = recovered.lastSegment ?? segmentName(mvcc.revision + 1);
      let chain = recovered.chain;
      if (recovered.legacy) {
        const migrated = await migrateToFormat2(dir, mvcc, store.fs, events);
        store.snapshots.reset(migrated.snapshot);
        segment = migrated.segment;
        chain = 0;
      }
      store.writer = await WalWriter.open<Op>(
        dir,
        segment,
        chain,
        store.fs,
        (ops) => store.applyDurable(ops),
        (err, ops) => store.fail(err as StoreError, ops),
      );
      if (!recovered.hasMeta || recovered.legacy) await writeMeta(dir, { format: 2, segment }, store.fs);
      store.stopCompactor = startAutoCompaction(options, mvcc, (revision) => store.compact(revision));
      events.emit({
        code: 'store.opened',
        level: 'debug',
        message: `opened embedded store in ${dir} at revision ${mvcc.revision} with ${mvcc.size} keys`,
        data: {
          dir,
          revision: mvcc.revision,
          keys: mvcc.size,
          snapshot,
          logBytes,
        },
      });
      return store;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.check();
    return this.mvcc.get(key);
  }

  async range(key: string, options?: RangeOptions): Promise<RangeResult> {
    this.check();
    return this.mvcc.range(key, options);
  }

  async currentRevision(): Promise<number> {
    this.check();
    return this.mvcc.revision;
  }

  async create(key: string, value: Uint8Array): Promise<TxnResult> {
    this.checkWrite(key, value);
    const current = this.latest(key);
    if (current.kv) return this.conflict(current);
    const revision = ++this.nextRevision;
    return this.submitPut({ key, value, createRevision: revision, modRevision: revision });
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<TxnResult> {
    this.checkWrite(key, value);
    const current = this.latest(key);
    if (!current.kv || current.kv.modRevision !== expectedModRevision) return this.conflict(current);
    const revision = ++this.nextRevision;
    return this.submitPut({ key, value, createRevision: current.kv.createRevision, modRevision: revision });
  }

  async delete(key: string, expectedModRevision?: number): Promise<DeleteResult> {
    this.check();
    const current = this.latest(key);
    const kv = current.kv;
    if (!kv || (expectedModRevision !== undefined && kv.modRevision !== expectedModRevision)) {
      await current.durable?.catch(() => undefined);
      this.check();
      return { ok: false, revision: this.mvcc.revision, prev: kv };
    }
    const revision = ++this.nextRevision;
    const op = deferred<DeleteResult>();
    this.pending.set(key, { kv: undefined, revision, durable: op.promise });
    this.writer.append(
      { type: RecordType.Delete, revision, createRevision: 0, key, value: new Uint8Array(0) },
      { type: 'delete', key, revision, settle: op },
    );
    return op.promise;
  }

  async watch(key: string, options: WatchOptions, handlers: WatchHandlers): Promise<Watch> {
    this.check();
    const prefix = options.prefix ?? false;
    const start =
      options.startRevision && options.startRevision > 0 ? options.startRevision : this.mvcc.revision + 1;
    if (start < this.mvcc.compactRevision) {
      const err = new StoreError(
        'Compacted',
        `watch from revision ${start} is too old (oldest available ${this.mvcc.compactRevision}): list again and watch from its revision`,
        this.mvcc.compactRevision,
      );
      return this.hub.fail(handlers, err);
    }
    const backlog = start <= this.mvcc.revision ? this.mvcc.eventsFrom(start) : [];
    return this.hub.add(key, prefix, start, handlers, backlog);
  }

  async compact(revision: number): Promise<void> {
    this.check();
    if (revision > this.mvcc.revision) {
      throw new StoreError(
        'FutureRevision',
        `cannot compact to revision ${revision}, ahead of the store (current ${this.mvcc.revision}): pick an older revision`,
      );
    }
    if (revision <= this.mvcc.compactRevision) return;
    const op = deferred<void>();
    const record: StoreRecord = {
      type: RecordType.Compact,
      revision,
      createRevision: 0,
      key: '',
      value: new Uint8Array(0),
    };
    this.writer.append(record, { type: 'compact', revision, settle: op });
    return op.promise;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopCompactor();
    try {
      await this.writer.close();
      await this.snapshots.writing;
    } finally {
      this.hub.clear();
      this.lock.release();
    }
  }

  private submitPut(kv: KeyValue): Promise<TxnResult> {
    const op = deferred<TxnResult>();
    this.pending.set(kv.key, { kv, revision: kv.modRevision, durable: op.promise });
    this.writer.append(
      { type: RecordType.Put, revision: kv.modRevision, ...kv },
      { type: 'put', kv, settle: op },
    );
    return op.promise;
  }

  /** The key's newest accepted value (possibly not yet durable) and a promise for its durability. */
  private latest(key: string): { kv: KeyValue | undefined; durable: Promise<unknown> | undefined } {
    const p = this.pending.get(key);
    return p ? { kv: p.kv, durable: p.durable } : { kv: this.mvcc.get(key), durable: undefined };
  }

  private async conflict(current: { kv: KeyValue | undefined; durable: Promise<unknown> | undefined }) {
    // Report a conflict only with a value that is durable, never with one a crash could still undo.
    await current.durable?.catch(() => undefined);
    this.check();
    return { ok: false as const, current: current.kv };
  }

  private async applyDurable(ops: Op[]): Promise<void> {
    const events: WatchEvent[] = [];
    const done: (() => void)[] = [];
    for (const op of ops) {
      if (op.type === 'compact') {
        this.mvcc.compact(op.revision);
        done.push(() => op.settle.resolve());
        continue;
      }
      const key = op.type === 'put' ? op.kv.key : op.key;
      const revision = op.type === 'put' ? op.kv.modRevision : op.revision;
      if (this.pending.get(key)?.revision === revision) this.pending.delete(key);
      if (op.type === 'put') {
        const event = this.mvcc.put(key, op.kv.value, revision);
        events.push(event);
        done.push(() => op.settle.resolve({ ok: true, kv: event.kv }));
      } else {
        const event = this.mvcc.delete(key, revision)!;
        events.push(event);
        done.push(() => op.settle.resolve({ ok: true, revision, prev: event.prev }));
      }
    }
    this.hub.publish(events);
    for (const settle of done) settle();
    this.notifyCommit();
    const full =
      this.writer.currentSegmentBytes >= (this.options.segmentBytes ?? 16 << 20) ||
      this.writer.currentSegmentRecords >= (this.options.segmentRecords ?? 50_000);
    if (full && !this.snapshots.writing) await this.rotate();
  }

  /** Runs inside the writer loop (writes paused): a new segment, then a snapshot if one is due. */
  private async rotate(): Promise<void> {
    const closed = this.writer.currentSegmentBytes;
    const next = segmentName(this.mvcc.revision + 1);
    await this.writer.rotate(next);
    await writeMeta(this.options.dataDir, { format: 2, segment: next }, this.fs);
    this.snapshots.segmentClosed(closed, () => this.mvcc.capture());
  }

  /** Tells the shipper how far the log is durable; its failure must never fail a write. */
  private notifyCommit(): void {
    try {
      this.options.onCommit?.(this.mvcc.revision);
    } catch (err) {
      (this.options.events ?? silentEvents).emit({
        code: 'store.commit-hook-failed',
        level: 'warn',
        message: `the commit hook failed: ${(err as Error).message}`,
      });
    }
  }

  private fail(err: StoreError, ops: Op[]): void {
    this.failure = err;
    this.pending.clear();
    for (const op of ops) op.settle.reject(err);
    this.hub.failAll(err);
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed) {
      throw new StoreError(
        'Unavailable',
        `embedded store in ${this.options.dataDir} is closed: open it again`,
      );
    }
  }

  private checkWrite(key: string, value: Uint8Array): void {
    this.check();
    const max = this.options.maxValueBytes ?? 1_572_864;
    if (value.length > max) {
      throw new StoreError(
        'TooLarge',
        `value for ${key} is ${value.length} bytes, above the limit of ${max}: store less, or raise maxValueBytes`,
      );
    }
  }
}
