import { describe, expect, it } from 'vitest';
import { AbortError } from '../src/errors.js';
import { jitter, sleep } from '../src/timing.js';

describe('sleep', () => {
  it('resolves after the delay and rejects with AbortError when the signal fires, before or during', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    const before = new AbortController();
    before.abort();
    await expect(sleep(10_000, before.signal)).rejects.toBeInstanceOf(AbortError);
    const during = new AbortController();
    const slept = sleep(60_000, during.signal);
    during.abort();
    await expect(slept).rejects.toBeInstanceOf(AbortError);
  });
});

describe('jitter', () => {
  it('spreads a delay between half of it and all of it', () => {
    expect(jitter(1000, () => 0)).toBe(500);
    expect(jitter(1000, () => 0.5)).toBe(750);
    expect(jitter(1000, () => 0.999_999)).toBe(1000);
    const seen = new Set(Array.from({ length: 50 }, () => jitter(10_000)));
    expect(seen.size).toBeGreaterThan(1);
    for (const ms of seen) expect(ms >= 5000 && ms <= 10_000).toBe(true);
  });
});
