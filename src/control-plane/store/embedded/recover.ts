import type { EventSink } from '../../../events.js';
import { StoreError } from '../types.js';
import { Mvcc } from './mvcc.js';
import { RecordType } from './record.js';
import { readLatestSnapshot } from './snapshot.js';
import { replaySegments } from './wal.js';

/** The state rebuilt from a data directory. */
export interface RecoveredState {
  readonly mvcc: Mvcc;
  /** File name of the snapshot it started from, if any. */
  readonly snapshot: string | undefined;
  /** Bytes of log replayed on top of the snapshot. */
  readonly logBytes: number;
}

/**
 * Rebuilds the in-memory state: newest snapshot, then every log record after it. Records must
 * continue the revision sequence exactly; a gap means lost acknowledged data and stops recovery.
 * A torn tail (a write that was never acknowledged) is cut off and reported as `store.torn-tail`.
 */
export async function recoverState(dir: string, events: EventSink): Promise<RecoveredState> {
  const mvcc = new Mvcc();
  const snapshot = await readLatestSnapshot(dir);
  if (snapshot) {
    mvcc.revision = snapshot.revision;
    mvcc.compactRevision = snapshot.compactRevision;
    for (const kv of snapshot.kvs) mvcc.restoreKv(kv);
    for (const event of snapshot.history) mvcc.restoreEvent(event);
  }
  const replay = await replaySegments(dir);
  for (const r of replay.records) {
    if (r.type === RecordType.Compact) {
      mvcc.compact(r.revision);
      continue;
    }
    if (r.revision <= mvcc.revision) continue;
    const applied =
      r.revision === mvcc.revision + 1 &&
      (r.type === RecordType.Put ? mvcc.put(r.key, r.value, r.revision) : mvcc.delete(r.key, r.revision));
    if (!applied) {
      throw new StoreError(
        'Unavailable',
        `write-ahead log in ${dir} does not follow revision ${mvcc.revision} (next record: revision ` +
          `${r.revision}, key ${r.key}): restore the data dir from a backup`,
      );
    }
  }
  if (replay.tornTail) {
    events.emit({
      code: 'store.torn-tail',
      level: 'warn',
      message: `cut ${replay.tornTail.droppedBytes} torn bytes (unacknowledged writes) off ${replay.tornTail.segment}`,
      data: { ...replay.tornTail },
    });
  }
  return { mvcc, snapshot: snapshot?.name, logBytes: replay.bytes };
}
