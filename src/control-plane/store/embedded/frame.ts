import { crc32, MIN_PAYLOAD } from './record.js';

/**
 * Framing of the store's files (format 2). A file starts with a 16-byte header:
 * `[8-byte magic][u32 seed][u32 crc32(first 12 bytes)]`, then records
 * `[u32 payload length][u32 crc][u32 prev crc][payload]`, little-endian, where
 * `crc = crc32(payload)` continued from `prev crc`, and `prev crc` must equal the crc of the record
 * before it (the header's seed for the first). As in etcd's WAL the checksums form a chain, so a
 * lost, repeated or reordered record is caught; because each record also names its predecessor's
 * crc, a record can be checked on its own, which lets recovery look past damage to see whether
 * acknowledged data follows it.
 *
 * Format 1 (tugboat before this change) had no file header and `[u32 length][u32 crc32(payload)]`
 * records; it is still read, once, to migrate a data directory.
 */
export const WAL_MAGIC = Buffer.from('TUGWAL2\n', 'latin1');
export const SNAP_MAGIC = Buffer.from('TUGSNP2\n', 'latin1');
export const FILE_HEADER = 16;

/** Header and record layout of one file format. */
export interface Framing {
  readonly version: 1 | 2;
  /** Bytes before the payload. */
  readonly recordHeader: number;
}

const V2: Framing = { version: 2, recordHeader: 12 };
const V1: Framing = { version: 1, recordHeader: 8 };

/** The 16-byte header of a format-2 file whose first record chains from `seed`. */
export function encodeFileHeader(magic: Buffer, seed: number): Buffer {
  const buf = Buffer.alloc(FILE_HEADER);
  magic.copy(buf, 0);
  buf.writeUInt32LE(seed >>> 0, 8);
  buf.writeUInt32LE(crc32(buf.subarray(0, 12), 0), 12);
  return buf;
}

/** Frames `payload` after a record whose crc is `prev`; returns the bytes and the new chain value. */
export function encodeFrame(payload: Buffer, prev: number): { bytes: Buffer; crc: number } {
  const crc = crc32(payload, prev);
  const head = Buffer.allocUnsafe(12);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc, 4);
  head.writeUInt32LE(prev >>> 0, 8);
  return { bytes: Buffer.concat([head, payload]), crc };
}

/** What a file header says: its format, and (format 2) the seed of its chain. */
export type HeaderInfo =
  | { readonly kind: 'v2'; readonly seed: number }
  | { readonly kind: 'v1' }
  | { readonly kind: 'torn' }
  | { readonly kind: 'bad'; readonly reason: string };

/** Classifies the first bytes of a file (at most 16) of total size `size`. */
export function readFileHeader(head: Buffer, size: number, magic: Buffer): HeaderInfo {
  const other = magic === WAL_MAGIC ? SNAP_MAGIC : WAL_MAGIC;
  if (size < FILE_HEADER) {
    // A crash right after creating the file: a prefix of the magic, or nothing (zeros) yet.
    const prefix = head.subarray(0, Math.min(size, 8));
    const isPrefix = prefix.equals(magic.subarray(0, prefix.length)) || prefix.every((b) => b === 0);
    if (isPrefix) return { kind: 'torn' };
  }
  if (head.subarray(0, 8).equals(magic)) {
    if (head.length < FILE_HEADER) return { kind: 'torn' };
    if (crc32(head.subarray(0, 12), 0) !== head.readUInt32LE(12))
      return { kind: 'bad', reason: 'file header checksum mismatch' };
    return { kind: 'v2', seed: head.readUInt32LE(8) };
  }
  if (head.subarray(0, 8).equals(other)) return { kind: 'bad', reason: 'file header of the wrong kind' };
  if (head.subarray(0, 3).toString('latin1') === 'TUG') return { kind: 'bad', reason: 'unknown file format' };
  return { kind: 'v1' };
}

/** The framing for a header kind. */
export function framingOf(kind: 'v1' | 'v2'): Framing {
  return kind === 'v2' ? V2 : V1;
}

/** One record found in a buffer: where its payload is and its chain values. */
export interface FrameAt {
  readonly payload: Buffer;
  readonly end: number;
  readonly crc: number;
  /** The predecessor's crc the record names (format 2; 0 in format 1). */
  readonly prev: number;
}

/** Why the bytes at an offset are not a record: cut short by the end of data, or just wrong. */
export type FrameProblem = 'short' | 'bad';

/**
 * Reads the record at `o` if it is complete and its checksum holds (on its own; the caller checks
 * the chain). `short`: the data ends inside it (possibly only because the buffer does).
 */
export function frameAt(f: Framing, data: Buffer, o: number): FrameAt | FrameProblem {
  if (data.length - o < f.recordHeader) return 'short';
  const len = data.readUInt32LE(o);
  if (len < MIN_PAYLOAD) return 'bad';
  const end = o + f.recordHeader + len;
  if (end > data.length) return 'short';
  const payload = data.subarray(o + f.recordHeader, end);
  const sum = data.readUInt32LE(o + 4);
  const prev = f.version === 2 ? data.readUInt32LE(o + 8) : 0;
  if (crc32(payload, prev) !== sum) return 'bad';
  return { payload, end, crc: sum, prev };
}

/** Limits the work of looking for records past damage (a pathological file must not hang recovery). */
const RESYNC_CRC_BUDGET = 256 << 20;

/** Writes found past a damaged spot: how many, and the revisions they span. */
export interface Found {
  /** Put/Delete records; `Infinity` when the scan budget ran out (something may follow). */
  count: number;
  first?: number;
  last?: number;
}

/**
 * Counts the writes (Put/Delete records) that check out on their own in `data` (bytes after a
 * damaged spot), scanning byte by byte and jumping over each record found. Returns `Infinity` when
 * the budget runs out first: then something may follow, so the damage is no torn tail.
 */
export function countRecordsAfter(f: Framing, data: Buffer, into: Found = { count: 0 }): Found {
  let budget = RESYNC_CRC_BUDGET;
  let o = 0;
  while (o + f.recordHeader + MIN_PAYLOAD <= data.length) {
    const len = data.readUInt32LE(o);
    if (len >= MIN_PAYLOAD && o + f.recordHeader + len <= data.length) {
      budget -= len;
      if (budget < 0) {
        into.count = Number.POSITIVE_INFINITY;
        return into;
      }
      const found = frameAt(f, data, o);
      if (typeof found !== 'string') {
        const type = found.payload.readUInt8(0);
        if (type === 1 || type === 2) {
          const revision = found.payload.readDoubleLE(2);
          into.count++;
          into.first ??= revision;
          into.last = revision;
        }
        o = found.end;
        continue;
      }
    }
    o++;
  }
  return into;
}

/**
 * True when the damaged bytes look like a write that never reached the disk: after a power loss
 * the unwritten part of an appended batch reads back as zeros, a whole sector at a time. A flipped
 * byte in a written record never produces that, so such a record is corruption, not a torn tail.
 * `data` runs from the damaged record to the end of the file, which starts at `fileOffset`.
 */
export function looksUnwritten(data: Buffer, fileOffset: number): boolean {
  const SECTOR = 512;
  if (isZero(data, 0, data.length)) return true;
  for (let s = (SECTOR - (fileOffset % SECTOR)) % SECTOR; s < data.length; s += SECTOR) {
    const end = Math.min(s + SECTOR, data.length);
    // A whole zero sector, or a zero run from a sector boundary to the end of the file.
    if ((end - s === SECTOR || end === data.length) && isZero(data, s, end)) return true;
  }
  return false;
}

function isZero(data: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (data[i] !== 0) return false;
  return true;
}
