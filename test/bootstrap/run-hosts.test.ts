import { describe, expect, it } from 'vitest';
import {
  runMastersWithWorkers,
  runMasterThenWorkers,
  runMasterWithWorkers,
  runOnHosts,
} from '../../src/bootstrap/run-hosts.js';
import { AbortError } from '../../src/errors.js';
import { RecordingEvents } from '../../src/events.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `h${i}` }));
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('runOnHosts', () => {
  it('never runs more than `concurrency` hosts at once and keeps input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await runOnHosts(
      hosts(25),
      async (h) => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        running--;
        return h.name.toUpperCase();
      },
      { concurrency: 4 },
    );
    expect(peak).toBe(4);
    expect(out.map((o) => (o.ok ? o.value : null))).toEqual(hosts(25).map((h) => h.name.toUpperCase()));
  });

  it('a failing host does not stop the others, and is reported with its error', async () => {
    const events = new RecordingEvents();
    const out = await runOnHosts(
      hosts(5),
      async (h) => {
        await tick();
        if (h.name === 'h2') throw new Error('h2: preflight failed (exit 1)');
        return 1;
      },
      { events },
    );
    expect(out.map((o) => o.ok)).toEqual([true, true, false, true, true]);
    const failed = out[2]!;
    expect(!failed.ok && failed.error.message).toBe('h2: preflight failed (exit 1)');
    expect(events.codes().filter((c) => c === 'host.fail')).toHaveLength(1);
  });

  it('stops starting hosts once aborted', async () => {
    const ac = new AbortController();
    const started: string[] = [];
    const out = await runOnHosts(
      hosts(6),
      async (h) => {
        started.push(h.name);
        if (h.name === 'h1') ac.abort();
        await tick();
      },
      { concurrency: 2, signal: ac.signal },
    );
    expect(started).toEqual(['h0', 'h1']);
    expect(out.slice(2).every((o) => !o.ok && o.error instanceof AbortError)).toBe(true);
  });
});

describe('runMasterThenWorkers', () => {
  it('finishes the master before any worker starts', async () => {
    const log: string[] = [];
    await runMasterThenWorkers({ name: 'm' }, hosts(3), async (h, role) => {
      log.push(`start ${role} ${h.name}`);
      await tick();
      log.push(`end ${h.name}`);
    });
    expect(log.slice(0, 2)).toEqual(['start master m', 'end m']);
    expect(log.filter((l) => l.startsWith('start worker'))).toHaveLength(3);
  });

  it('skips the workers with a reason when the master fails', async () => {
    const out = await runMasterThenWorkers({ name: 'm' }, hosts(2), async (h) => {
      if (h.name === 'm') throw new Error('m: install service failed (exit 1)');
    });
    expect(out.map((o) => o.host)).toEqual(['m', 'h0', 'h1']);
    expect(out.every((o) => !o.ok)).toBe(true);
    const w = out[1]!;
    expect(!w.ok && w.error.message).toMatch(/not bootstrapped because the master m failed/);
  });
});

describe('runMasterWithWorkers', () => {
  it('lets workers prepare while the master runs, and go on only once it succeeded', async () => {
    const log: string[] = [];
    let finishMaster: () => void = () => {};
    const masterGate = new Promise<void>((r) => {
      finishMaster = r;
    });
    const run = runMasterWithWorkers({ name: 'm' }, hosts(2), async (h, role, masterUp) => {
      log.push(`start ${h.name}`);
      if (role === 'master') {
        await masterGate;
        log.push('master up');
        return;
      }
      log.push(`prepared ${h.name}`);
      await masterUp();
      log.push(`agent ${h.name}`);
    });
    await tick();
    expect(log).toEqual(['start m', 'start h0', 'prepared h0', 'start h1', 'prepared h1']);
    finishMaster();
    const out = await run;
    expect(out.map((o) => [o.host, o.ok])).toEqual([
      ['m', true],
      ['h0', true],
      ['h1', true],
    ]);
    expect(log.indexOf('master up')).toBeLessThan(log.indexOf('agent h0'));
    expect(log.indexOf('master up')).toBeLessThan(log.indexOf('agent h1'));
  });

  it('fails every worker at masterUp with the reason when the master fails', async () => {
    const reached: string[] = [];
    const out = await runMasterWithWorkers({ name: 'm' }, hosts(2), async (h, role, masterUp) => {
      if (role === 'master') throw new Error('m: install service failed (exit 1)');
      await masterUp();
      reached.push(h.name);
    });
    expect(out.map((o) => o.host)).toEqual(['m', 'h0', 'h1']);
    expect(out.every((o) => !o.ok)).toBe(true);
    const w = out[2]!;
    expect(!w.ok && w.error.message).toBe(
      'h1: not bootstrapped because the master m failed: fix it and re-run',
    );
    expect(reached).toEqual([]);
  });
});

describe('runMastersWithWorkers', () => {
  it('runs every master at once (even with concurrency 1: they wait for each other) and lets workers on only when all succeeded', async () => {
    const log: string[] = [];
    let arrived = 0;
    let allArrived: () => void = () => {};
    const barrier = new Promise<void>((r) => {
      allArrived = r;
    });
    const masters = [{ name: 'm1' }, { name: 'm2' }, { name: 'm3' }];
    const out = await runMastersWithWorkers(
      masters,
      hosts(1),
      async (h, role, masterUp) => {
        if (role === 'master') {
          // As etcd: no master finishes before every master started.
          if (++arrived === masters.length) allArrived();
          await barrier;
          log.push(`${h.name} up`);
          return;
        }
        await masterUp();
        log.push(`agent ${h.name}`);
      },
      { concurrency: 1 },
    );
    expect(out.map((o) => [o.host, o.ok])).toEqual([
      ['m1', true],
      ['m2', true],
      ['m3', true],
      ['h0', true],
    ]);
    expect(log.at(-1)).toBe('agent h0');
  });

  it("names every failed master in the workers' errors", async () => {
    const out = await runMastersWithWorkers(
      [{ name: 'm1' }, { name: 'm2' }, { name: 'm3' }],
      hosts(1),
      async (h, role, masterUp) => {
        if (role === 'master' && h.name !== 'm2') throw new Error(`${h.name}: etcd failed`);
        if (role === 'worker') await masterUp();
      },
    );
    expect(out.map((o) => [o.host, o.ok])).toEqual([
      ['m1', false],
      ['m2', true],
      ['m3', false],
      ['h0', false],
    ]);
    const w = out[3]!;
    expect(!w.ok && w.error.message).toBe(
      'h0: not bootstrapped because the masters m1, m3 failed: fix it and re-run',
    );
  });
});
