import { type EtcdKv, num } from './etcd-client.js';
import { prefixEnd } from './etcd-errors.js';
import type { KeyValue } from './types.js';

/**
 * The store's keys inside etcd: every key lives under `prefix` (so one etcd can serve several
 * clusters), and what comes back is turned into the store's KeyValue with the prefix stripped.
 */
export class EtcdKeyspace {
  readonly prefix: Buffer;

  constructor(prefix: string) {
    this.prefix = Buffer.from(prefix, 'utf8');
  }

  /** The etcd key of a store key. */
  full(key: string): Buffer {
    return Buffer.concat([this.prefix, Buffer.from(key, 'utf8')]);
  }

  /** The range request covering every key of the store. */
  everything(): { readonly key: Buffer; readonly range_end: Buffer } {
    // etcd refuses an empty key; with no prefix, '\0' to '\0' means every key.
    return this.prefix.length > 0
      ? { key: this.prefix, range_end: prefixEnd(this.prefix) }
      : { key: Buffer.from([0]), range_end: Buffer.from([0]) };
  }

  toKv(kv: EtcdKv): KeyValue {
    return {
      key: kv.key.subarray(this.prefix.length).toString('utf8'),
      value: new Uint8Array(kv.value),
      createRevision: num(kv.create_revision),
      modRevision: num(kv.mod_revision),
    };
  }
}
