import { type KeyValue, type RangeOptions, type RangeResult, StoreError, type WatchEvent } from '../types.js';

/** One change kept for watches and past-revision reads, with the wall-clock time it was applied. */
export interface HistoryEvent extends WatchEvent {
  readonly revision: number;
  readonly at: number;
}

const EMPTY = new Uint8Array(0);

/**
 * The in-memory multi-version state of the embedded store: the live keys (a Map plus a sorted key
 * array for ordered prefix ranges) and the change history back to the compaction point. Reads at a
 * past revision undo history newer than it, which keeps memory at "live data + retained changes".
 * Single-threaded by construction; only the embedded store mutates it, after the change is durable.
 */
export class Mvcc {
  revision = 1;
  compactRevision = 0;
  private readonly live = new Map<string, KeyValue>();
  private sorted: string[] = [];
  private history: HistoryEvent[] = [];
  /** While loading from disk the sorted key array is rebuilt once at the end, not per insert. */
  private loading = false;

  get size(): number {
    return this.live.size;
  }

  get(key: string): KeyValue | undefined {
    return this.live.get(key);
  }

  /** Applies a put at the next revision; returns the event (with the previous value). */
  put(key: string, value: Uint8Array, revision: number, at = Date.now()): HistoryEvent {
    const prev = this.live.get(key);
    const kv: KeyValue = {
      key,
      value,
      createRevision: prev ? prev.createRevision : revision,
      modRevision: revision,
    };
    if (!prev && !this.loading) this.sorted.splice(this.lowerBound(key), 0, key);
    this.live.set(key, kv);
    return this.record({ type: 'put', kv, prev, revision, at });
  }

  /** Applies a delete at the next revision; returns undefined when the key does not exist. */
  delete(key: string, revision: number, at = Date.now()): HistoryEvent | undefined {
    const prev = this.live.get(key);
    if (!prev) return undefined;
    this.live.delete(key);
    if (!this.loading) this.sorted.splice(this.lowerBound(key), 1);
    const kv: KeyValue = { key, value: EMPTY, createRevision: 0, modRevision: revision };
    return this.record({ type: 'delete', kv, prev, revision, at });
  }

  /**
   * Starts a bulk load (snapshot + log replay): inserting each new key into the sorted array would
   * cost O(keys) per key, O(keys²) per reopen. Ranges are wrong until {@link endLoad}.
   */
  beginLoad(): void {
    this.loading = true;
  }

  /** Ends a bulk load: sorts the keys once. */
  endLoad(): void {
    if (!this.loading) return;
    this.loading = false;
    this.sorted = Array.from(this.live.keys()).sort();
  }

  /** Restores a live key from a snapshot (no history, no revision change). */
  restoreKv(kv: KeyValue): void {
    if (!this.live.has(kv.key) && !this.loading) this.sorted.splice(this.lowerBound(kv.key), 0, kv.key);
    this.live.set(kv.key, kv);
  }

  /** Restores a history event from a snapshot (oldest first). */
  restoreEvent(event: HistoryEvent): void {
    this.history.push(event);
  }

  /** Forgets history before `revision`; reads and watches before it then fail with Compacted. */
  compact(revision: number): void {
    if (revision <= this.compactRevision) return;
    this.compactRevision = Math.min(revision, this.revision);
    let keepFrom = this.firstEventAtOrAfter(this.compactRevision);
    // As etcd: compaction keeps each key's latest state at the compaction point, but a deletion
    // (tombstone) at exactly that revision goes too, so a watch from it starts after it.
    const first = this.history[keepFrom];
    if (first && first.revision === this.compactRevision && first.type === 'delete') keepFrom++;
    if (keepFrom > 0) this.history = this.history.slice(keepFrom);
  }

  /** Retained events with revision >= `from`, oldest first. */
  eventsFrom(from: number): HistoryEvent[] {
    return this.history.slice(this.firstEventAtOrAfter(from));
  }

  /** Revision of the newest retained event applied at or before `time`, or undefined. */
  newestEventAtOrBefore(time: number): number | undefined {
    let found: number | undefined;
    for (const event of this.history) {
      if (event.at > time) break;
      found = event.revision;
    }
    return found;
  }

  /** A consistent copy of everything a snapshot needs, taken synchronously. */
  capture(): { revision: number; compactRevision: number; kvs: KeyValue[]; history: HistoryEvent[] } {
    const kvs = this.sorted.map((k) => this.live.get(k)!);
    return {
      revision: this.revision,
      compactRevision: this.compactRevision,
      kvs,
      history: [...this.history],
    };
  }

  range(key: string, options: RangeOptions = {}): RangeResult {
    const at = options.revision && options.revision > 0 ? options.revision : this.revision;
    if (at > this.revision) {
      throw new StoreError(
        'FutureRevision',
        `revision ${at} is ahead of the store (current ${this.revision}): read at or before the current revision`,
      );
    }
    if (at < this.compactRevision) {
      throw new StoreError(
        'Compacted',
        `revision ${at} was compacted (oldest available ${this.compactRevision}): read at a newer revision`,
        this.compactRevision,
      );
    }
    const limit = options.limit && options.limit > 0 ? options.limit : Number.POSITIVE_INFINITY;
    const from = options.startKey !== undefined && options.startKey > key ? options.startKey : key;
    const inRange = options.prefix ? (k: string) => k.startsWith(key) && k >= from : (k: string) => k === key;
    const kvs: KeyValue[] = [];
    let more = false;
    if (at === this.revision) {
      const start = options.prefix ? this.lowerBound(from) : this.lowerBound(key);
      for (let i = start; i < this.sorted.length; i++) {
        const k = this.sorted[i]!;
        if (!inRange(k)) break;
        if (kvs.length >= limit) {
          more = true;
          break;
        }
        kvs.push(this.live.get(k)!);
      }
      return { kvs, revision: at, more };
    }
    // Past revision: undo newer changes, newest first, so each key ends at its value as of `at`.
    const undone = new Map<string, KeyValue | undefined>();
    for (let i = this.history.length - 1; i >= 0; i--) {
      const event = this.history[i]!;
      if (event.revision <= at) break;
      if (inRange(event.kv.key)) undone.set(event.kv.key, event.prev);
    }
    const keys: string[] = [];
    for (let i = options.prefix ? this.lowerBound(from) : this.lowerBound(key); i < this.sorted.length; i++) {
      const k = this.sorted[i]!;
      if (!inRange(k)) break;
      if (!undone.has(k)) keys.push(k);
    }
    for (const [k, kv] of undone) if (kv) keys.push(k);
    if (undone.size > 0) keys.sort();
    for (const k of keys) {
      if (kvs.length >= limit) {
        more = true;
        break;
      }
      kvs.push(undone.has(k) ? undone.get(k)! : this.live.get(k)!);
    }
    return { kvs, revision: at, more };
  }

  private record(event: HistoryEvent): HistoryEvent {
    this.revision = event.revision;
    this.history.push(event);
    return event;
  }

  private firstEventAtOrAfter(revision: number): number {
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.history[mid]!.revision < revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
