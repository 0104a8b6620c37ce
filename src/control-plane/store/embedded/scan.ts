import { open } from 'node:fs/promises';
import {
  countRecordsAfter,
  FILE_HEADER,
  type Found,
  frameAt,
  framingOf,
  looksUnwritten,
  readFileHeader,
} from './frame.js';
import { decodePayload, type StoreRecord } from './record.js';

/** Where a file stops being readable, and whether that is only an interrupted append. */
export interface Damage {
  /** Byte offset of the first record that is not good. */
  readonly offset: number;
  readonly reason: string;
  /**
   * True when the bytes from `offset` on can only be an append that never finished (cut short by
   * the end of the file, or zeros where a crash left blocks unwritten) and no record follows them.
   */
  readonly torn: boolean;
  /** Writes that check out on their own after the damage: what cutting there drops. */
  readonly after: Found;
}

/** The outcome of reading one store file. */
export interface ScanResult {
  readonly format: 1 | 2;
  readonly size: number;
  /** The first record chains from this (format 2; 0 otherwise). */
  readonly seed: number;
  /** Bytes of the file up to the end of the last good record. */
  readonly validEnd: number;
  /** Chain value after the last good record. */
  readonly lastCrc: number;
  readonly damage?: Damage;
}

/** Bytes read per step: reading never holds more than this plus one record. */
const CHUNK = 4 << 20;

/**
 * Streams the records of a store file to `onRecord` in order, reading it in chunks, so memory and
 * stack do not grow with the file. `onRecord` may return a reason to stop (e.g. a revision out of
 * sequence); that record then counts as damage. Stops at the first damage and classifies it.
 */
export async function scanFile(
  path: string,
  magic: Buffer,
  onRecord: (record: StoreRecord, offset: number) => string | undefined,
): Promise<ScanResult> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    /** Reads `length` bytes at `position` into `into` from `at` (fewer at the end of the file). */
    const readInto = async (into: Buffer, at: number, position: number, length: number): Promise<number> => {
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(into, at + got, length - got, position + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got;
    };
    const readAt = async (position: number, length: number): Promise<Buffer> => {
      const buf = Buffer.allocUnsafe(length);
      return buf.subarray(0, await readInto(buf, 0, position, length));
    };
    const header = readFileHeader(await readAt(0, Math.min(size, FILE_HEADER)), size, magic);
    const base = { size, seed: 0, validEnd: 0, lastCrc: 0 };
    if (header.kind === 'torn') {
      const after = { count: 0 };
      return {
        ...base,
        format: 2,
        damage: { offset: 0, reason: 'file header never completed', torn: true, after },
      };
    }
    if (header.kind === 'bad') {
      const f = framingOf('v2');
      const after = countRecordsAfter(f, await readAt(FILE_HEADER, Math.max(size - FILE_HEADER, 0)));
      return { ...base, format: 2, damage: { offset: 0, reason: header.reason, torn: false, after } };
    }
    const f = framingOf(header.kind);
    const seed = header.kind === 'v2' ? header.seed : 0;
    let lastCrc = seed;
    let bufStart = header.kind === 'v2' ? FILE_HEADER : 0;
    let pos = bufStart;
    let buf = Buffer.alloc(0);
    let damage: { offset: number; reason: string; kind: 'short' | 'bad' | 'rejected' } | undefined;
    for (;;) {
      let o = 0;
      for (;;) {
        const found = frameAt(f, buf, o);
        if (found === 'short') break;
        if (found === 'bad') {
          damage = { offset: bufStart + o, reason: 'record checksum mismatch', kind: 'bad' };
          break;
        }
        if (f.version === 2 && found.prev !== lastCrc) {
          damage = {
            offset: bufStart + o,
            reason: 'record does not follow the one before it',
            kind: 'rejected',
          };
          break;
        }
        const record = decodePayload(found.payload);
        const why = record ? onRecord(record, bufStart + o) : 'record fields do not fit its length';
        if (why) {
          damage = { offset: bufStart + o, reason: why, kind: 'rejected' };
          break;
        }
        lastCrc = found.crc;
        o = found.end;
      }
      if (damage) break;
      if (pos >= size) {
        if (o < buf.length)
          damage = { offset: bufStart + o, reason: 'record cut short by the end of the file', kind: 'short' };
        bufStart += o;
        break;
      }
      const rest = buf.subarray(o);
      let want = CHUNK;
      if (rest.length >= f.recordHeader)
        want = Math.max(want, f.recordHeader + rest.readUInt32LE(0) - rest.length);
      want = Math.min(want, size - pos);
      const next = Buffer.allocUnsafe(rest.length + want);
      rest.copy(next);
      const got = await readInto(next, rest.length, pos, want);
      buf = next.subarray(0, rest.length + got);
      bufStart += o;
      pos += want;
      if (got < want) pos = size; // the file shrank under us: treat what we have as the end
    }
    const result = { format: f.version, size, seed, validEnd: damage?.offset ?? bufStart, lastCrc };
    if (!damage) return result;
    const tail = await readAt(damage.offset, size - damage.offset);
    // Records after the damaged one (which is itself lost unless the damage is a torn append).
    const after = countRecordsAfter(f, tail.subarray(1));
    const torn =
      after.count === 0 &&
      (damage.kind === 'short' || (damage.kind === 'bad' && looksUnwritten(tail, damage.offset)));
    return { ...result, damage: { offset: damage.offset, reason: damage.reason, torn, after } };
  } finally {
    await fh.close();
  }
}

/** True when `path` is a format-1 file (no format-2 header): the directory needs migrating. */
export async function isFormat1(path: string, magic: Buffer): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, FILE_HEADER));
    await fh.read(head, 0, head.length, 0);
    return readFileHeader(head, size, magic).kind === 'v1';
  } finally {
    await fh.close();
  }
}
