import { describe, expect, it } from 'vitest';
import { ackLatency, type HaWrite, judgeWrites } from './write-outage.js';

const A = 'https://10.0.0.4:6443/';
const B = 'https://10.0.16.4:6443/';
const ok = (name: string, sentAt: number, doneAt: number, server = A): HaWrite => ({
  name,
  sentAt,
  doneAt,
  ok: true,
  server,
});
const failed = (name: string, sentAt: number, doneAt: number, error = 'read ECONNRESET'): HaWrite => ({
  name,
  sentAt,
  doneAt,
  ok: false,
  server: A,
  error,
});

describe('judgeWrites', () => {
  it('a clean run: no failure, the gaps between acknowledgements, the first write after the mark', () => {
    const writes = [ok('w-1', 0, 10), ok('w-2', 20, 30), ok('w-3', 40, 300), ok('w-4', 60, 70)];
    const f = judgeWrites(writes, 25);
    expect(f).toMatchObject({
      sent: 4,
      acknowledged: 4,
      failed: 0,
      longestFailingMs: 0,
      // Acknowledgements after the mark at 30, 70 and 300: the longest gap is 70 → 300.
      longestAckGapMs: 230,
      // w-3 is the first sent after 25; it ended at 300.
      firstAckAfterMs: 275,
      slowestFailureMs: 0,
      errors: {},
    });
    expect(f.latencyBefore).toEqual({ count: 2, p50: 10, p99: 10, max: 10 });
    expect(f.latencyAfter).toEqual({ count: 2, p50: 10, p99: 260, max: 260 });
  });

  it('a failing stretch runs from the last acknowledgement before the failures to the next one', () => {
    const writes = [
      ok('w-1', 0, 5),
      ok('w-0', 1, 50),
      failed('w-2', 10, 150),
      failed('w-3', 120, 130, 'socket hang up'),
      failed('w-4', 200, 2_100, 'connect ECONNREFUSED'),
      ok('w-5', 2_000, 2_400, B),
      ok('w-6', 2_500, 2_550, B),
    ];
    const f = judgeWrites(writes, 90);
    expect(f.longestFailingMs).toBe(2_350);
    expect(f.longestAckGapMs).toBe(2_310);
    expect(f.firstAckAfterMs).toBe(2_310);
    expect(f.slowestFailureMs).toBe(1_900);
    expect(f.failed).toBe(3);
    expect(f.errors).toEqual({ 'read ECONNRESET': 1, 'socket hang up': 1, 'connect ECONNREFUSED': 1 });
    expect(f.acknowledgedBy).toEqual({ [B]: 2 });
  });

  it('a slow write that fails at once with others does not stretch the outage back to when it was sent', () => {
    // w-2 waited 6 s on a slow server that then died; acknowledgements went on meanwhile.
    const writes = [
      failed('w-2', 0, 6_000),
      ok('w-3', 4_000, 5_900),
      failed('w-4', 5_500, 6_001),
      ok('w-5', 6_100, 6_500, B),
    ];
    const f = judgeWrites(writes, 6_000);
    expect(f.longestFailingMs).toBe(600);
    expect(f.slowestFailureMs).toBe(6_000);
  });

  it('failures at the end with no acknowledgement after them count up to the last write that ended', () => {
    const writes = [ok('w-1', 0, 10), failed('w-2', 50, 60), failed('w-3', 70, 4_070)];
    const f = judgeWrites(writes, 0);
    expect(f.longestFailingMs).toBe(4_060);
    expect(f.longestAckGapMs).toBe(4_060);
    expect(f.firstAckAfterMs).toBe(10);
  });

  it('nothing acknowledged after the mark: no first write, the whole time a gap', () => {
    const f = judgeWrites([ok('w-1', 0, 10), failed('w-2', 20, 900)], 15);
    expect(f.firstAckAfterMs).toBeUndefined();
    expect(f.longestAckGapMs).toBe(885);
    expect(f.longestFailingMs).toBe(890);
    expect(f.sentPerSecond).toBe(0);
  });

  it('the rate of writes sent after the mark', () => {
    const writes = Array.from({ length: 51 }, (_, i) => ok(`w-${i}`, 1_000 + i * 20, 1_010 + i * 20));
    expect(judgeWrites(writes, 1_000).sentPerSecond).toBe(50);
  });

  it('latency percentiles of acknowledged writes only', () => {
    const writes = [
      ...Array.from({ length: 100 }, (_, i) => ok(`w-${i}`, 0, i + 1)),
      failed('w-x', 0, 10_000),
    ];
    expect(ackLatency(writes)).toEqual({ count: 100, p50: 50, p99: 99, max: 100 });
    expect(ackLatency([])).toEqual({ count: 0, p50: 0, p99: 0, max: 0 });
  });
});
