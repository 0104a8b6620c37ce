import type { DeleteResult, KeyValue, TxnResult } from '../types.js';

/** A write (or compaction) waiting in the log queue, with the caller's promise to settle. */
export type Op =
  | { readonly type: 'put'; readonly kv: KeyValue; readonly settle: Settle<TxnResult> }
  | {
      readonly type: 'delete';
      readonly key: string;
      readonly revision: number;
      readonly settle: Settle<DeleteResult>;
    }
  | { readonly type: 'compact'; readonly revision: number; readonly settle: Settle<void> };

/** The resolve/reject pair of a caller's promise. */
export interface Settle<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

/** A key's newest accepted, not yet durable, state. */
export interface Pending {
  /** The key's value once the pending write is durable (undefined: deleted). */
  readonly kv: KeyValue | undefined;
  readonly revision: number;
  readonly durable: Promise<unknown>;
}

/** A promise with its settle functions exposed, for completion from the log writer. */
export function deferred<T>(): Settle<T> & { promise: Promise<T> } {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
