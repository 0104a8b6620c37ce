import * as zlib from 'node:zlib';
import type { KeyValue } from '../types.js';

/**
 * The on-disk record shared by the write-ahead log and snapshots:
 * `[u32 payload length][u32 crc32(payload)][payload]`, little-endian. The checksum lets recovery
 * tell a torn or corrupt tail from good data; the length prefix lets it skip nothing silently.
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

const HEADER = 8;
const EMPTY = new Uint8Array(0);

type Crc32 = (data: Uint8Array) => number;

/** zlib.crc32 exists from Node 20.15; older Node 20 hosts get a table-driven fallback. */
const crc32: Crc32 =
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
  return (data) => {
    let c = 0xffffffff;
    for (const byte of data) c = table[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
}

/** Serialises one record with its length and checksum header. */
export function encodeRecord(record: StoreRecord): Buffer {
  const key = Buffer.from(record.key, 'utf8');
  const prev = record.prev;
  const prevLen = prev ? 8 + 8 + 4 + prev.value.length : 0;
  const payloadLen = 1 + 1 + 8 + 8 + 4 + key.length + 4 + record.value.length + prevLen;
  const buf = Buffer.allocUnsafe(HEADER + payloadLen);
  let o = HEADER;
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
  buf.writeUInt32LE(payloadLen, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 4);
  return buf;
}

export interface DecodeResult {
  readonly records: StoreRecord[];
  /** Bytes of `data` holding whole, checksummed records. */
  readonly validBytes: number;
  /** True when bytes after `validBytes` are torn or corrupt. */
  readonly corrupt: boolean;
}

/** Parses records until the data ends or a record is torn or fails its checksum. */
export function decodeRecords(data: Buffer): DecodeResult {
  const records: StoreRecord[] = [];
  let o = 0;
  while (o < data.length) {
    if (data.length - o < HEADER) return { records, validBytes: o, corrupt: true };
    const len = data.readUInt32LE(o);
    const sum = data.readUInt32LE(o + 4);
    const end = o + HEADER + len;
    if (len < 26 || end > data.length) return { records, validBytes: o, corrupt: true };
    const payload = data.subarray(o + HEADER, end);
    if (crc32(payload) !== sum) return { records, validBytes: o, corrupt: true };
    const record = decodePayload(payload);
    if (!record) return { records, validBytes: o, corrupt: true };
    records.push(record);
    o = end;
  }
  return { records, validBytes: o, corrupt: false };
}

function decodePayload(p: Buffer): StoreRecord | undefined {
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
