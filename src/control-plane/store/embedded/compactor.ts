import { type EventSink, silentEvents } from '../../../events.js';
import type { Mvcc } from './mvcc.js';

/** The retention settings the compactor reads (a subset of the embedded store's options). */
export interface CompactionPolicy {
  /** @default 10000 */
  readonly historyMaxRevisions?: number;
  /** @default 300000 */
  readonly historyMaxAgeMs?: number;
  /** 0 disables automatic compaction. @default 10000 */
  readonly compactIntervalMs?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/**
 * The revision before which history may go: anything further back than `historyMaxRevisions` or
 * older than `historyMaxAgeMs` (the kube-apiserver compacts etcd every 5 minutes the same way).
 * Never beyond the current revision, so the newest change stays watchable.
 */
export function compactionTarget(mvcc: Mvcc, policy: CompactionPolicy, now: number): number {
  const byCount = mvcc.revision - (policy.historyMaxRevisions ?? 10_000) + 1;
  const byAge = (mvcc.newestEventAtOrBefore(now - (policy.historyMaxAgeMs ?? 300_000)) ?? 0) + 1;
  return Math.min(Math.max(byCount, byAge), mvcc.revision);
}

/** Runs compaction on a timer that does not keep the process alive; returns a stop function. */
export function startAutoCompaction(
  policy: CompactionPolicy,
  mvcc: Mvcc,
  compact: (revision: number) => Promise<void>,
): () => void {
  const interval = policy.compactIntervalMs ?? 10_000;
  if (interval <= 0) return () => undefined;
  const events = policy.events ?? silentEvents;
  let running = false;
  const timer = setInterval(() => {
    const target = compactionTarget(mvcc, policy, Date.now());
    if (running || target <= mvcc.compactRevision) return;
    running = true;
    compact(target)
      .then(
        () =>
          events.emit({
            code: 'store.compacted',
            level: 'debug',
            message: `compacted history before revision ${target}`,
            data: { revision: target },
          }),
        () => undefined, // A failed or closed store reports through its own operations and watches.
      )
      .finally(() => {
        running = false;
      });
  }, interval);
  timer.unref();
  return () => clearInterval(timer);
}
