import { open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../types.js';
import { FILE_MODE, type StoreFile, type StoreFileSystem } from './file-io.js';
import { encodeFileHeader, encodeFrame, WAL_MAGIC } from './frame.js';
import { encodePayload, type StoreRecord } from './record.js';

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
  private queue: { bytes: Buffer; crc: number; item: T }[] = [];
  private running: Promise<void> | undefined;
  private active = false;
  private failure: Error | undefined;
  private segmentBytes = 0;
  private segmentRecords = 0;
  /** Chain value of the last record queued (the next record's `prev`). */
  private queuedCrc: number;
  /** Chain value of the last record written (a new segment's seed). */
  private writtenCrc: number;

  private constructor(
    private readonly dir: string,
    private readonly fs: StoreFileSystem,
    private fh: StoreFile,
    chain: number,
    private readonly onDurable: (items: T[]) => Promise<void> | void,
    private readonly onFailure: (err: Error, items: T[]) => void,
  ) {
    this.queuedCrc = chain;
    this.writtenCrc = chain;
  }

  /**
   * Opens `segment` for appends, creating it (0600, with its header chaining from `chain`, the crc
   * of the last record before it) when it is missing or empty.
   */
  static async open<T>(
    dir: string,
    segment: string,
    chain: number,
    fs: StoreFileSystem,
    onDurable: (items: T[]) => Promise<void> | void,
    onFailure: (err: Error, items: T[]) => void,
  ): Promise<WalWriter<T>> {
    const fh = await openSegment(fs, dir, segment, chain);
    const writer = new WalWriter(dir, fs, fh, chain, onDurable, onFailure);
    writer.segmentBytes = (await stat(join(dir, segment))).size;
    return writer;
  }

  /** Bytes in the open segment. */
  get currentSegmentBytes(): number {
    return this.segmentBytes;
  }

  /** Records in the open segment written since it was opened. */
  get currentSegmentRecords(): number {
    return this.segmentRecords;
  }

  /** Queues a record; `onDurable` sees `item` once the record is on disk. */
  append(record: StoreRecord, item: T): void {
    if (this.failure) throw this.failure;
    // Framed now, in queue order, so each record's `prev` is the record written just before it.
    const { bytes, crc } = encodeFrame(encodePayload(record), this.queuedCrc);
    this.queuedCrc = crc;
    this.queue.push({ bytes, crc, item });
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
    this.fh = await openSegment(this.fs, this.dir, segment, this.writtenCrc);
    this.segmentBytes = 0;
    this.segmentRecords = 0;
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
        this.segmentRecords += batch.length;
        this.writtenCrc = batch[batch.length - 1]!.crc;
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

/** Opens (creating with a header chained from `chain`) a segment for appends, and makes it durable. */
async function openSegment(
  fs: StoreFileSystem,
  dir: string,
  segment: string,
  chain: number,
): Promise<StoreFile> {
  const path = join(dir, segment);
  const fh = await fs.open(path, 'a', FILE_MODE);
  try {
    if ((await stat(path)).size === 0) {
      const header = encodeFileHeader(WAL_MAGIC, chain);
      const { bytesWritten } = await fh.write(header, 0, header.length);
      if (bytesWritten !== header.length) throw new Error(`short write of the header of ${path}`);
      await fh.datasync();
    }
    await syncDir(dir);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Deletes segments that start before `keepFrom` (their records are all in a durable snapshot). */
export async function removeSegmentsBefore(dir: string, keepFrom: number): Promise<void> {
  for (const segment of await listSegments(dir)) {
    if (segment.first < keepFrom) await unlink(join(dir, segment.name));
  }
  await syncDir(dir);
}
