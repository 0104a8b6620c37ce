import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { AbortFanout } from '../../src/aws/abort-fanout.js';

describe('AbortFanout', () => {
  it('keeps one listener on the parent however many requests run, and releases each', async () => {
    const parent = new AbortController();
    const fanout = new AbortFanout(parent.signal);
    const gates: (() => void)[] = [];
    const runs = Array.from({ length: 25 }, () =>
      fanout.run((signal) => {
        expect(signal).not.toBe(parent.signal);
        return new Promise<string>((resolve) => gates.push(() => resolve('done')));
      }),
    );
    expect(fanout.size).toBe(25);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    for (const open of gates) open();
    expect(await Promise.all(runs)).toEqual(Array(25).fill('done'));
    expect(fanout.size).toBe(0);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
  });

  it('aborts every request in flight with the parent reason, and later ones at once', async () => {
    const parent = new AbortController();
    const fanout = new AbortFanout(parent.signal);
    const seen: AbortSignal[] = [];
    const run = fanout.run(
      (signal) =>
        new Promise((_, reject) => {
          seen.push(signal);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    );
    const reason = new Error('ctrl-c');
    parent.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(fanout.size).toBe(0);
    const late = await fanout.run(async (signal) => [signal.aborted, signal.reason]);
    expect(late).toEqual([true, reason]);
    expect(seen[0]?.aborted).toBe(true);
  });
});
