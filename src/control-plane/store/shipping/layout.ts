import type { BucketRef } from '../../../aws/s3.js';

/** Where a cluster's store state lives in S3: `s3://<bucket>/<prefix>/store/...`. */
export interface StateTarget {
  readonly ref: BucketRef;
  /** Key prefix of the cluster, without a trailing slash (may be empty). */
  readonly prefix: string;
}

/**
 * Object keys of the shipped state. Numbers are zero-padded so keys sort by number:
 * `store/lease/<generation>` (who may write), `store/snap/<generation>/<revision>` (a snapshot file,
 * byte for byte), `store/log/<generation>/<first>-<last>` (a WAL header chained from the previous
 * object's last crc, then complete log records whose Put/Delete revisions run from first to last).
 */
export const pad = (n: number, width = 16): string => String(n).padStart(width, '0');

function base(t: StateTarget): string {
  return t.prefix ? `${t.prefix.replace(/\/+$/, '')}/store/` : 'store/';
}

export const leasePrefix = (t: StateTarget): string => `${base(t)}lease/`;
export const leaseKey = (t: StateTarget, generation: number): string =>
  `${leasePrefix(t)}${pad(generation, 10)}`;
export const snapPrefix = (t: StateTarget, generation?: number): string =>
  `${base(t)}snap/${generation === undefined ? '' : `${pad(generation, 10)}/`}`;
export const snapKey = (t: StateTarget, generation: number, revision: number): string =>
  `${snapPrefix(t, generation)}${pad(revision)}`;
export const logPrefix = (t: StateTarget, generation?: number): string =>
  `${base(t)}log/${generation === undefined ? '' : `${pad(generation, 10)}/`}`;
export const logKey = (t: StateTarget, generation: number, first: number, last: number): string =>
  `${logPrefix(t, generation)}${pad(first)}-${pad(last)}`;

/** A shipped snapshot found by listing. */
export interface SnapObject {
  readonly key: string;
  readonly generation: number;
  readonly revision: number;
}

/** A shipped log chunk found by listing. */
export interface LogObject {
  readonly key: string;
  readonly generation: number;
  readonly first: number;
  readonly last: number;
}

const SNAP = /\/snap\/(\d{10})\/(\d{16})$/;
const LOG = /\/log\/(\d{10})\/(\d{16})-(\d{16})$/;
const LEASE = /\/lease\/(\d{10})$/;

/** Snapshots among `keys`, oldest first (by generation, then revision); other keys are ignored. */
export function parseSnaps(keys: readonly string[]): SnapObject[] {
  return keys
    .map((key) => ({ key, m: SNAP.exec(`/${key}`) }))
    .filter((s) => s.m)
    .map((s) => ({ key: s.key, generation: Number(s.m![1]), revision: Number(s.m![2]) }))
    .sort((a, b) => a.generation - b.generation || a.revision - b.revision);
}

/** Log chunks among `keys`, by generation, then first revision. */
export function parseLogs(keys: readonly string[]): LogObject[] {
  return keys
    .map((key) => ({ key, m: LOG.exec(`/${key}`) }))
    .filter((s) => s.m)
    .map((s) => ({
      key: s.key,
      generation: Number(s.m![1]),
      first: Number(s.m![2]),
      last: Number(s.m![3]),
    }))
    .sort((a, b) => a.generation - b.generation || a.first - b.first);
}

/** Generations claimed so far, ascending. */
export function parseLeases(keys: readonly string[]): number[] {
  return keys
    .map((key) => LEASE.exec(`/${key}`))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** `s3://bucket/key` for messages. */
export const s3Url = (t: StateTarget, key: string): string => `s3://${t.ref.bucket}/${key}`;
