/**
 * Judges a stream of API writes around an outage (the ha e2e kills a master while a client writes):
 * how long no write went through while writes failed, how long none was acknowledged at all, when
 * the first write sent after the outage's start went through, and latencies before and after. Pure,
 * so the arithmetic is unit-tested apart from the cluster.
 */

/** One write the client sent: when, how long, and whether the API server acknowledged it (201). */
export interface HaWrite {
  readonly name: string;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly ok: boolean;
  /** The client's current server when the write ended (where it was sent, unless another write moved the client on meanwhile). */
  readonly server: string;
  readonly error?: string;
}

/** Latency of acknowledged writes, ms. */
export interface AckLatency {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What the writer saw, judged from a moment (the kill) on. */
export interface HaWriterFigures {
  readonly sent: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly skipped: number;
  /**
   * Longest stretch in which writes failed and none was acknowledged: from the last
   * acknowledgement before a failure to the next acknowledgement after it (or to the last write
   * that ended, when none came). 0 when nothing failed.
   */
  readonly longestFailingMs: number;
  /** Longest time between two acknowledgements after `from` (covers writes that hang as well as errors). */
  readonly longestAckGapMs: number;
  /** From `from` to the acknowledgement of the first write sent after it. */
  readonly firstAckAfterMs: number | undefined;
  /** Longest a failed write waited for its error (a write in flight on a server that dies fails at once). */
  readonly slowestFailureMs: number;
  /** Acknowledged writes sent before `from`, and from `from` on. */
  readonly latencyBefore: AckLatency;
  readonly latencyAfter: AckLatency;
  /** Writes sent per second from `from` on (intervals between the first and the last sent). */
  readonly sentPerSecond: number;
  /** The servers that acknowledged the writes sent from `from` on, with counts. */
  readonly acknowledgedBy: Readonly<Record<string, number>>;
  /** Distinct error messages, with counts. */
  readonly errors: Readonly<Record<string, number>>;
}

/** p50, p99 and max of acknowledged writes' latencies. Pure. */
export function ackLatency(writes: readonly HaWrite[]): AckLatency {
  const ms = writes
    .filter((w) => w.ok)
    .map((w) => w.doneAt - w.sentAt)
    .sort((a, b) => a - b);
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)] ?? 0);
  return { count: ms.length, p50: at(0.5), p99: at(0.99), max: Math.round(ms[ms.length - 1] ?? 0) };
}

/** The figures of `writes` from `from` on. Pure. */
export function judgeWrites(writes: readonly HaWrite[], from: number, skipped = 0): HaWriterFigures {
  const byEnd = [...writes].sort((a, b) => a.doneAt - b.doneAt);
  let longestFailingMs = 0;
  let longestAckGapMs = 0;
  let lastAck: number | undefined;
  let failedSinceAck = false;
  const errors: Record<string, number> = {};
  for (const w of byEnd) {
    if (!w.ok) {
      errors[w.error ?? 'unknown'] = (errors[w.error ?? 'unknown'] ?? 0) + 1;
      failedSinceAck = true;
      continue;
    }
    const since = lastAck ?? byEnd[0]!.sentAt;
    if (failedSinceAck) longestFailingMs = Math.max(longestFailingMs, w.doneAt - since);
    if (w.doneAt >= from) longestAckGapMs = Math.max(longestAckGapMs, w.doneAt - Math.max(since, from));
    lastAck = w.doneAt;
    failedSinceAck = false;
  }
  // Stretches still open at the end count up to the last write that ended.
  const end = byEnd[byEnd.length - 1]?.doneAt;
  if (end !== undefined) {
    const since = lastAck ?? byEnd[0]!.sentAt;
    if (failedSinceAck) longestFailingMs = Math.max(longestFailingMs, end - since);
    if (end > from) longestAckGapMs = Math.max(longestAckGapMs, end - Math.max(since, from));
  }
  const before = writes.filter((w) => w.sentAt < from);
  const after = writes.filter((w) => w.sentAt >= from);
  const firstAfter = after.filter((w) => w.ok).sort((a, b) => a.sentAt - b.sentAt)[0];
  const sentTimes = after.map((w) => w.sentAt);
  const span = after.length > 1 ? Math.max(...sentTimes) - Math.min(...sentTimes) : 0;
  const acknowledgedBy: Record<string, number> = {};
  for (const w of after) if (w.ok) acknowledgedBy[w.server] = (acknowledgedBy[w.server] ?? 0) + 1;
  const acknowledged = writes.filter((w) => w.ok).length;
  return {
    sent: writes.length,
    acknowledged,
    failed: writes.length - acknowledged,
    skipped,
    longestFailingMs: Math.round(longestFailingMs),
    longestAckGapMs: Math.round(longestAckGapMs),
    firstAckAfterMs: firstAfter ? Math.round(firstAfter.doneAt - from) : undefined,
    slowestFailureMs: Math.round(Math.max(0, ...writes.filter((w) => !w.ok).map((w) => w.doneAt - w.sentAt))),
    latencyBefore: ackLatency(before),
    latencyAfter: ackLatency(after),
    sentPerSecond: span > 0 ? Math.round(((after.length - 1) / span) * 10_000) / 10 : 0,
    acknowledgedBy,
    errors,
  };
}
