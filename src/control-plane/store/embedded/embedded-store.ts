import { chmod, mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { type EventSink, silentEvents } from '../../../events.js';
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
import { DIR_MODE, FILE_MODE, nodeFileSystem, type StoreFileSystem } from './file-io.js';
import { SNAP_MAGIC, WAL_MAGIC } from './frame.js';
import { type DirLock, lockDataDir } from './lock.js';
import { writeMeta } from './meta.js';
import type { Mvcc } from './mvcc.js';
import { deferred, type Op, type Pending } from './ops.js';
import { RecordType, type StoreRecord } from './record.js';
import { type RecoveredState, recoverState } from './recover.js';
import { isFormat1 } from './scan.js';
import { writeSnapshot } from './snapshot.js';
import { removeSegmentsBefore, segmentName, WalWriter } from './wal.js';
import { WatcherHub } from './watchers.js';

/** Options for {@link openEmbeddedStore}. */
export interface EmbeddedStoreOptions {
  /** Directory holding the lock, write-ahead log segments and snapshot; created if missing. */
  readonly dataDir: string;
  /** Largest value accepted; bigger writes fail with StoreError 'TooLarge'. @default 1572864 (1.5 MiB, as etcd) */
  readonly maxValueBytes?: number;
  /** Start a new log segment once the open one reaches this size. @default 16777216 (16 MiB) */
  readonly segmentBytes?: number;
  /** Start a new log segment once the open one holds this many records. @default 50000 */
  readonly segmentRecords?: number;
  /**
   * At a rotation, write a snapshot once the log since the last one is at least this big, and at
   * least as big as that snapshot (so snapshot cost stays proportional to writes). @default 67108864 (64 MiB)
   */
  readonly snapshotLogBytes?: number;
  /** History further back than this many revisions is compacted automatically. @default 10000 */
  readonly historyMaxRevisions?: number;
  /** History older than this is compacted automatically. @default 300000 (5 minutes) */
  readonly historyMaxAgeMs?: number;
  /** How often automatic compaction runs; 0 disables it. @default 10000 */
  readonly compactIntervalMs?: number;
  /** Receives `store.*` events (recovery, snapshots, compaction). @default silentEvents */
  readonly events?: EventSink;
  /** How files are written; tests inject a recording or failing layer. @default node:fs */
  readonly fs?: StoreFileSystem;
}

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
  private snapshotting: Promise<void> | undefined;
  private stopCompactor: () => void = () => undefined;
  private writer!: WalWriter<Op>;
  /** Log bytes in closed segments since the newest snapshot. */
  private logSinceSnapshot: number;
  private snapshotBytes: number;
  private snapshot: string | undefined;
  private readonly fs: StoreFileSystem;

  private constructor(
    private readonly options: EmbeddedStoreOptions,
    private readonly mvcc: Mvcc,
    private readonly lock: DirLock,
    recovered: RecoveredState,
  ) {
    this.nextRevision = mvcc.revision;
    this.fs = options.fs ?? nodeFileSystem;
    // Closed segments only: the open one is added when it closes.
    this.logSinceSnapshot = recovered.logBytes - recovered.lastSegmentBytes;
    this.snapshotBytes = recovered.snapshotBytes;
    this.snapshot = recovered.snapshot;
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
        segment = await store.migrate();
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
      await this.snapshotting;
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
    const full =
      this.writer.currentSegmentBytes >= (this.options.segmentBytes ?? 16 << 20) ||
      this.writer.currentSegmentRecords >= (this.options.segmentRecords ?? 50_000);
    if (full && !this.snapshotting) await this.rotate();
  }

  /**
   * Runs inside the writer loop (writes paused), so the state captured for a snapshot matches
   * exactly the segments before the new one. The previous snapshot and the segments after it are
   * kept: they are the way back if the newest snapshot is ever damaged (`tugboat store repair`).
   */
  private async rotate(): Promise<void> {
    const dir = this.options.dataDir;
    this.logSinceSnapshot += this.writer.currentSegmentBytes;
    const next = this.mvcc.revision + 1;
    await this.writer.rotate(segmentName(next));
    await writeMeta(dir, { format: 2, segment: segmentName(next) }, this.fs);
    const due = Math.max(this.options.snapshotLogBytes ?? 64 << 20, this.snapshotBytes);
    if (this.logSinceSnapshot < due) return;
    const data = this.mvcc.capture();
    const previous = this.snapshot;
    const events = this.options.events ?? silentEvents;
    this.snapshotting = writeSnapshot(dir, data, this.fs, previous)
      .then(async ({ name, bytes }) => {
        this.snapshot = name;
        this.snapshotBytes = bytes;
        this.logSinceSnapshot = 0;
        const keepFrom = previous ? Number(previous.slice(9, 25)) + 1 : 0;
        await removeSegmentsBefore(dir, keepFrom);
        events.emit({
          code: 'store.snapshot',
          level: 'debug',
          message: `wrote ${name} (${data.kvs.length} keys, ${data.history.length} history events)`,
          data: { name, revision: data.revision },
        });
      })
      .catch((err: Error) => {
        events.emit({
          code: 'store.snapshot-failed',
          level: 'warn',
          message: `snapshot at revision ${data.revision} failed (${err.message}); the log still has every write`,
        });
      })
      .finally(() => {
        this.snapshotting = undefined;
      });
  }

  /**
   * Rewrites a format-1 directory: a format-2 snapshot of the recovered state, then the old files
   * move to `pre-v2/` (kept for the operator to delete). Returns the segment to append to.
   */
  private async migrate(): Promise<string> {
    const dir = this.options.dataDir;
    const { name } = await writeSnapshot(dir, this.mvcc.capture(), this.fs);
    const backup = join(dir, 'pre-v2');
    await mkdir(backup, { recursive: true, mode: DIR_MODE });
    for (const file of await readdir(dir)) {
      const magic = file.startsWith('wal-')
        ? WAL_MAGIC
        : file.startsWith('snapshot-')
          ? SNAP_MAGIC
          : undefined;
      if (!magic || file === name || !(await isFormat1(join(dir, file), magic))) continue;
      await rename(join(dir, file), join(backup, file));
    }
    this.snapshot = name;
    this.logSinceSnapshot = 0;
    (this.options.events ?? silentEvents).emit({
      code: 'store.migrated',
      level: 'info',
      message: `migrated the store in ${dir} to format 2 (chained checksums); the old files are in ${backup}`,
      data: { dir, snapshot: name },
    });
    return segmentName(this.mvcc.revision + 1);
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

/** Store files may hold Secrets: the directory 0700, files 0600 (also fixes older stores' 0644). */
async function restrictModes(dir: string): Promise<void> {
  await chmod(dir, DIR_MODE);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isFile()) await chmod(join(dir, entry.name), FILE_MODE);
  }
}
