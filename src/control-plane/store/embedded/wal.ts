import { type FileHandle, open, readdir, readFile, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../types.js';
import { decodeRecords, type StoreRecord } from './record.js';

const SEGMENT = /^wal-(\d{16})\.log$/;

/** File name of the segment whose first record has `revision` (sortable by name). */
export function segmentName(revision: number): string {
  return `wal-${String(revision).padStart(16, '0')}.log`;
}

/** Segments in the directory, oldest first, with the first revision each may hold. */
export async function listSegments(dir: string): Promise<{ name: string; first: number }[]> {
  const names = await readdir(dir);
  return names
    .map((name) => ({ name, match: SEGMENT.exec(name) }))
    .filter((s) => s.match)
    .map((s) => ({ name: s.name, first: Number(s.match![1]) }))
    .sort((a, b) => a.first - b.first);
}

export interface ReplayResult {
  readonly records: StoreRecord[];
  /** Set when the last segment ended in a torn or corrupt record, which was cut off. */
  readonly tornTail?: { readonly segment: string; readonly offset: number; readonly droppedBytes: number };
  readonly bytes: number;
}

/**
 * Reads every segment in order. A torn or corrupt tail of the LAST segment is the expected result
 * of a crash mid-write (the write was never acknowledged): it is truncated away. Damage anywhere
 * else means acknowledged data is unreadable, so recovery stops with an error instead of guessing.
 */
export async function replaySegments(dir: string): Promise<ReplayResult> {
  const segments = await listSegments(dir);
  const records: StoreRecord[] = [];
  let bytes = 0;
  let tornTail: ReplayResult['tornTail'];
  for (const [i, segment] of segments.entries()) {
    const path = join(dir, segment.name);
    const data = await readFile(path);
    const decoded = decodeRecords(data);
    records.push(...decoded.records);
    bytes += decoded.validBytes;
    if (!decoded.corrupt) continue;
    if (i !== segments.length - 1) {
      throw new StoreError(
        'Unavailable',
        `write-ahead log ${path} is corrupt at byte ${decoded.validBytes} and is not the last segment: ` +
          'restore the data dir from a backup',
      );
    }
    await truncate(path, decoded.validBytes);
    const fh = await open(path, 'r+');
    await fh.sync();
    await fh.close();
    tornTail = {
      segment: segment.name,
      offset: decoded.validBytes,
      droppedBytes: data.length - decoded.validBytes,
    };
  }
  return tornTail ? { records, tornTail, bytes } : { records, bytes };
}

/** fsync a directory so a created, renamed or deleted entry survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The append side of the log: one open segment, written with group commit. Writers queue encoded
 * records; one loop writes everything queued with a single write + fdatasync and then runs
 * `onDurable` for that batch, so N concurrent writers share one fsync instead of paying N.
 */
export class WalWriter<T> {
  private queue: { bytes: Buffer; item: T }[] = [];
  private running: Promise<void> | undefined;
  private active = false;
  private failure: Error | undefined;
  private segmentBytes = 0;

  private constructor(
    private readonly dir: string,
    private fh: FileHandle,
    private readonly onDurable: (items: T[]) => Promise<void> | void,
    private readonly onFailure: (err: Error, items: T[]) => void,
  ) {}

  /** Opens `segment` (creating it) for appends. */
  static async open<T>(
    dir: string,
    segment: string,
    onDurable: (items: T[]) => Promise<void> | void,
    onFailure: (err: Error, items: T[]) => void,
  ): Promise<WalWriter<T>> {
    const fh = await open(join(dir, segment), 'a');
    await syncDir(dir);
    const writer = new WalWriter(dir, fh, onDurable, onFailure);
    writer.segmentBytes = (await stat(join(dir, segment))).size;
    return writer;
  }

  /** Bytes in the open segment. */
  get currentSegmentBytes(): number {
    return this.segmentBytes;
  }

  /** Queues a record; `onDurable` sees `item` once the record is on disk. */
  append(bytes: Buffer, item: T): void {
    if (this.failure) throw this.failure;
    this.queue.push({ bytes, item });
    // `active` flips synchronously with the loop's last queue check, so no append can be stranded.
    if (!this.active) {
      this.active = true;
      this.running = this.loop();
    }
  }

  /** Resolves when everything queued so far is durable (or has failed). */
  async drain(): Promise<void> {
    while (this.active) await this.running;
  }

  /** Closes the open segment and starts `segment`; call only from `onDurable` (the loop is paused). */
  async rotate(segment: string): Promise<void> {
    await this.fh.close();
    this.fh = await open(join(this.dir, segment), 'a');
    await syncDir(this.dir);
    this.segmentBytes = 0;
  }

  async close(): Promise<void> {
    await this.drain();
    await this.fh.close();
  }

  /**
   * Clears `active` in the same synchronous step as its final empty-queue check: an `await` between
   * the two (e.g. a wrapper's `finally`) would let an append slip in and wait forever.
   */
  private async loop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      const items = batch.map((b) => b.item);
      try {
        const bytes = batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((b) => b.bytes));
        let written = 0;
        while (written < bytes.length) {
          const { bytesWritten } = await this.fh.write(bytes, written, bytes.length - written);
          written += bytesWritten;
        }
        await this.fh.datasync();
        this.segmentBytes += bytes.length;
      } catch (err) {
        // After a failed write or fsync the file's state is unknown (fsyncgate): stop accepting writes.
        this.failure = new StoreError(
          'Unavailable',
          `write-ahead log in ${this.dir} failed (${(err as Error).message}): fix the disk and reopen the store`,
        );
        const rest = this.queue.map((b) => b.item);
        this.queue = [];
        this.active = false;
        this.onFailure(this.failure, [...items, ...rest]);
        return;
      }
      try {
        await this.onDurable(items);
      } catch (err) {
        // Applied and acknowledged, but the follow-up (segment rotation) failed: stop here too.
        this.failure = new StoreError(
          'Unavailable',
          `write-ahead log in ${this.dir} could not rotate (${(err as Error).message}): fix the disk and reopen the store`,
        );
        const rest = this.queue.map((b) => b.item);
        this.queue = [];
        this.active = false;
        this.onFailure(this.failure, rest);
        return;
      }
    }
    this.active = false;
  }
}

/** Deletes segments that start before `keepFrom` (their records are all in a durable snapshot). */
export async function removeSegmentsBefore(dir: string, keepFrom: number): Promise<void> {
  for (const segment of await listSegments(dir)) {
    if (segment.first < keepFrom) await unlink(join(dir, segment.name));
  }
  await syncDir(dir);
}
