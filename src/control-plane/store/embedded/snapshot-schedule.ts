import type { EventSink } from '../../../events.js';
import type { StoreFileSystem } from './file-io.js';
import { type SnapshotData, writeSnapshot } from './snapshot.js';
import { removeSegmentsBefore } from './wal.js';

/**
 * When the embedded store writes a snapshot: at a segment rotation, once the log since the last
 * snapshot is at least `snapshotLogBytes` and at least as big as that snapshot (so snapshot cost
 * stays proportional to writes). The previous snapshot and the segments after it are kept: they
 * are the way back if the newest snapshot is ever damaged (`tugboat store repair`).
 */
export class SnapshotSchedule {
  /** The snapshot being written, if any. */
  writing: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly fs: StoreFileSystem,
    private readonly events: EventSink,
    private readonly snapshotLogBytes: number,
    /** Log bytes in closed segments since the newest snapshot. */
    private logSinceSnapshot: number,
    private snapshotBytes: number,
    /** File name of the newest snapshot. */
    public snapshot: string | undefined,
    /** Segments from this first revision on are kept regardless (not yet shipped to S3). */
    private readonly retainFrom: () => number = () => Number.POSITIVE_INFINITY,
  ) {}

  /** A fresh snapshot replaced everything before it (format migration). */
  reset(snapshot: string): void {
    this.snapshot = snapshot;
    this.logSinceSnapshot = 0;
  }

  /**
   * A segment of `bytes` closed: starts a snapshot of `capture()` when one is due. Called with
   * writes paused, so the state captured matches exactly the segments closed so far.
   */
  segmentClosed(bytes: number, capture: () => SnapshotData): void {
    this.logSinceSnapshot += bytes;
    if (this.logSinceSnapshot < Math.max(this.snapshotLogBytes, this.snapshotBytes)) return;
    const data = capture();
    const previous = this.snapshot;
    this.writing = writeSnapshot(this.dir, data, this.fs, previous)
      .then(async ({ name, bytes: written }) => {
        this.snapshot = name;
        this.snapshotBytes = written;
        this.logSinceSnapshot = 0;
        const keepFrom = previous ? Number(previous.slice(9, 25)) + 1 : 0;
        await removeSegmentsBefore(this.dir, Math.min(keepFrom, this.retainFrom()));
        this.events.emit({
          code: 'store.snapshot',
          level: 'debug',
          message: `wrote ${name} (${data.kvs.length} keys, ${data.history.length} history events)`,
          data: { name, revision: data.revision },
        });
      })
      .catch((err: Error) => {
        this.events.emit({
          code: 'store.snapshot-failed',
          level: 'warn',
          message: `snapshot at revision ${data.revision} failed (${err.message}); the log still has every write`,
        });
      })
      .finally(() => {
        this.writing = undefined;
      });
  }
}
