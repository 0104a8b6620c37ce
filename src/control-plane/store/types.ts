/**
 * The control-plane store: a revisioned key-value space with watch from a revision and
 * compaction, the same model as etcd's (and kine's). Every backend passes one contract suite
 * (test/control-plane/store/contract.ts).
 *
 * Keys are strings such as `/registry/pods/default/web-1`. Values are opaque bytes (JSON text
 * of the object, without resourceVersion, which the API layer derives from `modRevision`).
 */

export interface KeyValue {
  readonly key: string;
  readonly value: Uint8Array;
  /** Revision at which the key was created (since its last deletion). */
  readonly createRevision: number;
  /** Revision of the last change to this key; the object's resourceVersion. */
  readonly modRevision: number;
}

export interface RangeOptions {
  /** Return keys in [start, end); an empty prefix range means all keys starting with `prefix`. */
  readonly prefix?: boolean;
  /** Read as of this revision (must not be compacted). @default current revision */
  readonly revision?: number;
  /** Return at most this many keys, in key order. @default unlimited */
  readonly limit?: number;
  /** Start at this key (inclusive) within the prefix; used for continue tokens. */
  readonly startKey?: string;
}

export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  /** Store revision at which the range was read. */
  readonly revision: number;
  /** True when `limit` cut the result short. */
  readonly more: boolean;
}

export type TxnResult =
  | { readonly ok: true; readonly kv: KeyValue }
  | { readonly ok: false; readonly current: KeyValue | undefined };

export interface DeleteResult {
  readonly ok: boolean;
  /** The revision of the delete when ok; the deleted value is `prev`. */
  readonly revision: number;
  readonly prev: KeyValue | undefined;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly kv: KeyValue;
  /** Value before this change, when the backend knows it. */
  readonly prev?: KeyValue | undefined;
}

export interface WatchOptions {
  readonly prefix?: boolean;
  /** Deliver events with modRevision >= this revision. @default current revision + 1 */
  readonly startRevision?: number;
}

export interface Watch {
  /** Stop the watch; no events are delivered after the returned promise settles. */
  cancel(): Promise<void>;
}

export interface WatchHandlers {
  readonly onEvents: (events: readonly WatchEvent[]) => void;
  /** The start revision was compacted (410 Gone upstream) or the backend failed. */
  readonly onError: (err: StoreError) => void;
}

export class StoreError extends Error {
  constructor(
    readonly reason: 'Compacted' | 'FutureRevision' | 'Unavailable' | 'TooLarge',
    message: string,
    /** For Compacted: the oldest revision still available. */
    readonly compactRevision?: number,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** One line of `/readyz`: whether the store can serve, and why not. */
export interface StoreReadiness {
  /** The check's name in `/readyz?verbose` (`etcd`). */
  readonly name: string;
  readonly ok: boolean;
  /** For people: members down, quorum, the recovery. */
  readonly detail: string;
}

export interface Store {
  get(key: string): Promise<KeyValue | undefined>;
  range(key: string, options?: RangeOptions): Promise<RangeResult>;
  /** Create `key` only if it does not exist. */
  create(key: string, value: Uint8Array): Promise<TxnResult>;
  /**
   * Write `key` only if its modRevision equals `expectedModRevision` (optimistic concurrency);
   * fails with the current value otherwise (undefined when missing).
   */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<TxnResult>;
  /** Delete `key`, only if its modRevision matches when `expectedModRevision` is given. */
  delete(key: string, expectedModRevision?: number): Promise<DeleteResult>;
  watch(key: string, options: WatchOptions, handlers: WatchHandlers): Promise<Watch>;
  /** The current store revision. */
  currentRevision(): Promise<number>;
  /** Forget history before `revision`; watches from before it then fail with `Compacted`. */
  compact(revision: number): Promise<void>;
  /** Flush and release resources. */
  close(): Promise<void>;
  /** A backend that can lose its quorum says so here (`/readyz`). @default always ready */
  readiness?(): Promise<StoreReadiness>;
}
