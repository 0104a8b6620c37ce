import { describe, expect, it } from 'vitest';
import { restartDelayMs, retryDelayMs } from '../../src/agent/backoff.js';
import { formatKi, parseBytes, parseCpuMillis } from '../../src/client/quantity.js';

describe('quantities', () => {
  it.each([
    ['64Mi', 67_108_864],
    ['1Gi', 1_073_741_824],
    ['1G', 1_000_000_000],
    ['128974848', 128_974_848],
    ['1e3', 1000],
  ])('parses memory %s', (q, bytes) => {
    expect(parseBytes(q)).toBe(bytes);
  });
  it.each([
    ['500m', 500],
    ['2', 2000],
    ['0.25', 250],
  ])('parses cpu %s', (q, millis) => {
    expect(parseCpuMillis(q)).toBe(millis);
  });
  it('rejects garbage with the bad value in the message', () => {
    expect(() => parseBytes('12 potatoes')).toThrow(/"12 potatoes"/);
    expect(() => parseBytes('5Qi')).toThrow(/invalid quantity/);
  });
  it('formats Ki', () => {
    expect(formatKi(2048 * 1024 + 5)).toBe('2048Ki');
  });
});

describe('back-off', () => {
  it('restarts at once the first time, then doubles up to the cap', () => {
    const o = { baseMs: 10_000, maxMs: 300_000 };
    expect([0, 1, 2, 3, 6, 10].map((n) => restartDelayMs(n, 1000, o))).toEqual([
      0, 10_000, 20_000, 40_000, 300_000, 300_000,
    ]);
  });
  it('resets after a long run', () => {
    expect(restartDelayMs(5, 700_000)).toBe(0);
  });
  it('retries pulls with doubling delays', () => {
    expect([1, 2, 3].map((n) => retryDelayMs(n, { baseMs: 100 }))).toEqual([100, 200, 400]);
  });
});
