import type { EventSink } from '../../../events.js';
import type { StoreFileSystem } from './file-io.js';

/** Options for `openEmbeddedStore`. */
export interface EmbeddedStoreOptions {
  /** Directory holding the lock, write-ahead log segments and snapshot; created if missing. */
  readonly dataDir: string;
  /** Largest value accepted; bigger writes fail with StoreError 'TooLarge'. @default 1572864 (1.5 MiB, as etcd) */
  readonly maxValueBytes?: number;
  /** Start a new log segment once the open one reaches this size. @default 16777216 (16 MiB) */
  readonly segmentBytes?: number;
  /** Start a new log segment once the open one holds this many records. @default 50000 */
  readonly segmentRecords?: number;
  /**
   * At a rotation, write a snapshot once the log since the last one is at least this big, and at
   * least as big as that snapshot (so snapshot cost stays proportional to writes). @default 67108864 (64 MiB)
   */
  readonly snapshotLogBytes?: number;
  /** History further back than this many revisions is compacted automatically. @default 10000 */
  readonly historyMaxRevisions?: number;
  /** History older than this is compacted automatically. @default 300000 (5 minutes) */
  readonly historyMaxAgeMs?: number;
  /** How often automatic compaction runs; 0 disables it. @default 10000 */
  readonly compactIntervalMs?: number;
  /** Receives `store.*` events (recovery, snapshots, compaction). @default silentEvents */
  readonly events?: EventSink;
  /**
   * Called after each batch of writes became durable, with the store's revision (the S3 shipper
   * tails the log up to it). Runs on the write path: it must only take note. @default none
   */
  readonly onCommit?: (revision: number) => void;
  /**
   * Log segments whose first revision is at least this are never deleted by snapshot pruning
   * (the S3 shipper has not uploaded them yet: the local log is its backlog). @default keep none extra
   */
  readonly retainSegmentsFrom?: () => number;
  /** How files are written; tests inject a recording or failing layer. @default node:fs */
  readonly fs?: StoreFileSystem;
}
