import { expect, it } from 'vitest';
import { CoalescingRunner } from '../src/coalescing-runner.js';

// The agent's loops (pod sync, host network) share this: a burst of calls during a pass costs one
// more pass, every caller's promise settles after the pass that covers it, and a failing pass
// rejects its callers without wedging the runner.

it('coalesces calls during a pass into one more pass', async () => {
  let passes = 0;
  let release: () => void = () => undefined;
  const runner = new CoalescingRunner(async () => {
    passes++;
    if (passes === 1) await new Promise<void>((r) => (release = r));
  });
  const first = runner.run();
  const burst = [runner.run(), runner.run(), runner.run()];
  release();
  await Promise.all([first, ...burst]);
  expect(passes).toBe(2);
  await runner.run();
  expect(passes).toBe(3);
});

it('rejects the callers of a failing pass, then runs again', async () => {
  let fail = true;
  const runner = new CoalescingRunner(async () => {
    if (fail) throw new Error('boom');
  });
  await expect(runner.run()).rejects.toThrow('boom');
  await runner.idle();
  fail = false;
  await expect(runner.run()).resolves.toBeUndefined();
});
