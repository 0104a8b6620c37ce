import * as zlib from 'node:zlib';
import type { KeyValue } from '../types.js';

/**
 * The payload of one on-disk record, shared by the write-ahead log and snapshots. Framing (length,
 * chained checksum) is in frame.ts; this file only turns a record into bytes and back.
 */
export enum RecordType {
  /** A key was written (create or update). */
  Put = 1,
  /** A key was deleted. */
  Delete = 2,
  /** History before `revision` was forgotten. */
  Compact = 3,
  /** Snapshot header: `revision` is the store revision, `createRevision` the compact revision. */
  SnapshotMeta = 4,
  /** One live key of a snapshot. */
  SnapshotKv = 5,
  /** Snapshot trailer: `revision` repeats the header, `createRevision` counts the records before it. */
  SnapshotEnd = 6,
}

export interface StoreRecord {
  readonly type: RecordType;
  /** Revision of the change (Put/Delete), the compaction point (Compact), or the snapshot's. */
  readonly revision: number;
  readonly createRevision: number;
  readonly key: string;
  readonly value: Uint8Array;
  /** The value before the change; carried by snapshot history records only. */
  readonly prev?: KeyValue | undefined;
}

const EMPTY = new Uint8Array(0);

type Crc32 = (data: Uint8Array, seed?: number) => number;

/**
 * CRC-32 (IEEE) of `data`, continuing from `seed` (the CRC of the bytes before it, as zlib does).
 * zlib.crc32 exists from Node 20.15; older Node 20 hosts get a table-driven fallback.
 */
export const crc32: Crc32 =
  typeof (zlib as { crc32?: Crc32 }).crc32 === 'function'
    ? (zlib as unknown as { crc32: Crc32 }).crc32
    : tableCrc32();

function tableCrc32(): Crc32 {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return (data, seed = 0) => {
    let c = (seed ^ 0xffffffff) >>> 0;
    for (const byte of data) c = table[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
}

/** Serialises one record's payload (framing and checksum are added by frame.ts). */
export function encodePayload(record: StoreRecord): Buffer {
  const key = Buffer.from(record.key, 'utf8');
  const prev = record.prev;
  const prevLen = prev ? 8 + 8 + 4 + prev.value.length : 0;
  const buf = Buffer.allocUnsafe(1 + 1 + 8 + 8 + 4 + key.length + 4 + record.value.length + prevLen);
  let o = 0;
  o = buf.writeUInt8(record.type, o);
  o = buf.writeUInt8(prev ? 1 : 0, o);
  o = buf.writeDoubleLE(record.revision, o);
  o = buf.writeDoubleLE(record.createRevision, o);
  o = buf.writeUInt32LE(key.length, o);
  o += key.copy(buf, o);
  o = buf.writeUInt32LE(record.value.length, o);
  buf.set(record.value, o);
  o += record.value.length;
  if (prev) {
    o = buf.writeDoubleLE(prev.createRevision, o);
    o = buf.writeDoubleLE(prev.modRevision, o);
    o = buf.writeUInt32LE(prev.value.length, o);
    buf.set(prev.value, o);
  }
  return buf;
}

/** The smallest payload: type, flag, two revisions and two empty lengths. */
export const MIN_PAYLOAD = 26;

/** Parses one payload; undefined when its lengths do not fit (corrupt despite its checksum). */
export function decodePayload(p: Buffer): StoreRecord | undefined {
  if (p.length < MIN_PAYLOAD) return undefined;
  let o = 0;
  const type = p.readUInt8(o++) as RecordType;
  const hasPrev = p.readUInt8(o++) === 1;
  const revision = p.readDoubleLE(o);
  const createRevision = p.readDoubleLE(o + 8);
  o += 16;
  const keyLen = p.readUInt32LE(o);
  o += 4;
  if (o + keyLen + 4 > p.length) return undefined;
  const key = p.toString('utf8', o, o + keyLen);
  o += keyLen;
  const valueLen = p.readUInt32LE(o);
  o += 4;
  if (o + valueLen > p.length) return undefined;
  // Copy out: callers keep values for the life of the store, the file buffer must not be pinned.
  const value = valueLen === 0 ? EMPTY : new Uint8Array(p.subarray(o, o + valueLen));
  o += valueLen;
  let prev: KeyValue | undefined;
  if (hasPrev) {
    if (o + 20 > p.length) return undefined;
    const prevCreate = p.readDoubleLE(o);
    const prevMod = p.readDoubleLE(o + 8);
    const prevLen = p.readUInt32LE(o + 16);
    o += 20;
    if (o + prevLen > p.length) return undefined;
    prev = {
      key,
      value: new Uint8Array(p.subarray(o, o + prevLen)),
      createRevision: prevCreate,
      modRevision: prevMod,
    };
  }
  return { type, revision, createRevision, key, value, prev };
}
