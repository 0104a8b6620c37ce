import { open } from 'node:fs/promises';
import { join } from 'node:path';
import {
  encodeFileHeader,
  FILE_HEADER,
  frameAt,
  framingOf,
  readFileHeader,
  WAL_MAGIC,
} from '../embedded/frame.js';
import { RecordType } from '../embedded/record.js';
import { listSegments, segmentName } from '../embedded/wal.js';

/** Where the shipper is in the local log: a segment, a byte offset in it, the chain value there. */
export interface LogCursor {
  /** First revision of the segment (its file name). */
  readonly segment: number;
  /** Byte offset in the segment; below the header size means "at its first record". */
  readonly offset: number;
  /** crc of the record before `offset`: the next record's `prev`. */
  readonly chain: number;
}

/** Complete, durable records read from the local log, ready to upload as one object. */
export interface LogChunk {
  /** A WAL file header chained from the cursor's value, then the records, byte for byte. */
  readonly body: Buffer;
  /** First and last Put/Delete revision in the chunk. */
  readonly first: number;
  readonly last: number;
  /** The cursor after the chunk. */
  readonly next: LogCursor;
}

const V2 = framingOf('v2');

/**
 * Reads the next chunk of the local log after `cursor`: whole records whose Put/Delete revisions
 * are at most `durable` (the store acknowledged them), ending at the last Put/Delete (trailing
 * compaction records wait for the next write, carried into the next segment if need be), at most
 * about `maxBytes` per segment read. The local log is the shipper's backlog: nothing is held in
 * memory between calls. Returns undefined when there is nothing new. A record that breaks the
 * checksum chain throws: the log is damaged.
 */
export async function readLogChunk(
  dir: string,
  cursor: LogCursor,
  durable: number,
  maxBytes: number,
): Promise<LogChunk | undefined> {
  let at = cursor;
  const carry: Buffer[] = [];
  for (let hops = 0; hops < 64; hops++) {
    const got = await readSegment(dir, at, durable, maxBytes);
    if (got.kind === 'chunk') {
      const body = Buffer.concat([encodeFileHeader(WAL_MAGIC, cursor.chain), ...carry, got.records]);
      return { body, first: got.first, last: got.last, next: got.next };
    }
    if (got.kind === 'wait') return undefined;
    // The segment is read to its end (perhaps only compaction records left): go on to the next one.
    const later = (await listSegments(dir)).find((s) => s.first > at.segment);
    if (!later) return undefined;
    if (got.records.length > 0) carry.push(got.records);
    at = { segment: later.first, offset: 0, chain: got.chain };
  }
  return undefined;
}

type SegmentRead =
  | { kind: 'chunk'; records: Buffer; first: number; last: number; next: LogCursor }
  | { kind: 'end'; records: Buffer; chain: number }
  | { kind: 'wait' };

async function readSegment(
  dir: string,
  cursor: LogCursor,
  durable: number,
  maxBytes: number,
): Promise<SegmentRead> {
  const path = join(dir, segmentName(cursor.segment));
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'wait' };
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    let offset = cursor.offset;
    if (offset < FILE_HEADER) {
      if (size < FILE_HEADER) return { kind: 'wait' };
      const head = Buffer.alloc(FILE_HEADER);
      await fh.read(head, 0, FILE_HEADER, 0);
      const header = readFileHeader(head, size, WAL_MAGIC);
      if (header.kind !== 'v2') throw new Error(`${path}: not a format-2 log segment`);
      if (header.seed !== cursor.chain >>> 0)
        throw new Error(`${path} does not continue the checksum chain of the segment before it`);
      offset = FILE_HEADER;
    }
    const length = Math.max(0, Math.min(size - offset, maxBytes));
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    let o = 0;
    let chain = cursor.chain >>> 0;
    let end = 0;
    let endChain = chain;
    let first: number | undefined;
    let last = 0;
    let complete = true;
    while (o < got) {
      const frame = frameAt(V2, buf.subarray(0, got), o);
      // Short: an append still under way (or the read limit); bad: not ours to judge, recovery does.
      if (typeof frame === 'string') {
        complete = false;
        break;
      }
      if (frame.prev !== chain) throw new Error(`${path}: broken checksum chain at byte ${offset + o}`);
      const type = frame.payload.readUInt8(0) as RecordType;
      const revision = frame.payload.readDoubleLE(2);
      const isWrite = type === RecordType.Put || type === RecordType.Delete;
      if (isWrite && revision > durable) {
        complete = false;
        break;
      }
      chain = frame.crc;
      o = frame.end;
      if (isWrite) {
        first ??= revision;
        last = revision;
        end = o;
        endChain = chain;
      }
    }
    if (first !== undefined) {
      const next = { segment: cursor.segment, offset: offset + end, chain: endChain };
      return { kind: 'chunk', records: buf.subarray(0, end), first, last, next };
    }
    if (complete && offset + o === size)
      return { kind: 'end', records: Buffer.from(buf.subarray(0, o)), chain };
    return { kind: 'wait' };
  } finally {
    await fh.close();
  }
}
