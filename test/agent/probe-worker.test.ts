/**
 * One probe worker on its own timer (fake clock): initial delay, period, thresholds, one handler in
 * flight, liveness/startup on hold after failing, the startup gate, and stop. `runProbe` cuts a
 * hung handler at timeoutSeconds.
 */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProbeWorker, type ProbeWorkerOptions } from '../../src/agent/probe-worker.js';
import { type ProbeResult, runProbe } from '../../src/agent/probes.js';
import type { Runtime } from '../../src/agent/runtime/types.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A worker whose handler answers from `script` (true = success), recording when it ran. */
function scripted(
  script: boolean[],
  options: Partial<ProbeWorkerOptions> & Pick<ProbeWorkerOptions, 'kind' | 'probe'>,
) {
  const runs: number[] = [];
  const changes: boolean[] = [];
  const worker = new ProbeWorker({
    run: async () => {
      runs.push(Date.now());
      const ok = script.shift() ?? false;
      return { ok, message: ok ? 'ok' : 'failed' };
    },
    startedAt: Date.now(),
    now: Date.now,
    onChange: (ok) => changes.push(ok),
    ...options,
  });
  return { worker, runs, changes };
}

describe('ProbeWorker', () => {
  it('runs first after initialDelaySeconds, then every periodSeconds', async () => {
    const t0 = Date.now();
    const { worker, runs } = scripted([true, true, true], {
      kind: 'readiness',
      probe: { exec: { command: ['x'] }, initialDelaySeconds: 5, periodSeconds: 2 },
    });
    worker.start();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(4_001);
    expect(runs.map((r) => r - t0)).toEqual([5_000, 7_000, 9_000]);
    worker.stop();
  });

  it('flips readiness after successThreshold successes and failureThreshold failures in a row', async () => {
    const { worker, changes } = scripted([true, false, true, true, false, false, true, false, false, false], {
      kind: 'readiness',
      probe: { exec: { command: ['x'] }, periodSeconds: 1, successThreshold: 2, failureThreshold: 3 },
    });
    expect(worker.result).toBe(false);
    worker.start();
    // t=0 ok, 1 fail, 2 ok, 3 ok → ready; 4,5 fail, 6 ok, 7,8,9 fail → unready.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(changes).toEqual([true]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(changes).toEqual([true]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(changes).toEqual([true, false]);
    expect(worker.result).toBe(false);
    worker.stop();
  });

  it('never runs two handlers at once: a slow handler delays the next run', async () => {
    let inFlight = 0;
    let most = 0;
    const starts: number[] = [];
    const worker = new ProbeWorker({
      kind: 'readiness',
      probe: { exec: { command: ['x'] }, periodSeconds: 1, timeoutSeconds: 3 },
      run: async () => {
        starts.push(Date.now());
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 2_500));
        inFlight--;
        return { ok: true, message: 'ok' };
      },
      startedAt: Date.now(),
      now: Date.now,
      onChange: () => undefined,
    });
    const t0 = Date.now();
    worker.start();
    await vi.advanceTimersByTimeAsync(10_000);
    worker.stop();
    expect(most).toBe(1);
    // Each run starts as soon as the previous one ends (its period is long past), not sooner.
    const gaps = starts.slice(1).map((s, i) => s - (starts[i] ?? 0));
    expect(starts[0]).toBe(t0);
    expect(gaps).toHaveLength(3);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(2_500);
  });

  it('puts liveness on hold after failureThreshold failures, reporting once', async () => {
    const { worker, runs, changes } = scripted([false, false, false, false], {
      kind: 'liveness',
      probe: { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 2 },
    });
    expect(worker.result).toBe(true);
    worker.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(changes).toEqual([false]);
    expect(runs).toHaveLength(2);
  });

  it('skips its runs while the gate (startup probe) is closed', async () => {
    let open = false;
    const { worker, runs } = scripted([true, true], {
      kind: 'liveness',
      probe: { exec: { command: ['x'] }, periodSeconds: 1 },
      gate: () => open,
    });
    worker.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toHaveLength(0);
    open = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toHaveLength(1);
    worker.stop();
  });

  it('stops probing a startup probe once it has succeeded', async () => {
    const { worker, runs, changes } = scripted([false, true, true], {
      kind: 'startup',
      probe: { exec: { command: ['x'] }, periodSeconds: 1, failureThreshold: 5 },
    });
    worker.start();
    await vi.advanceTimersByTimeAsync(6_000);
    expect(changes).toEqual([true]);
    expect(runs).toHaveLength(2);
    worker.stop();
  });

  it('reports nothing after stop, even from a handler in flight', async () => {
    let finish: (r: ProbeResult) => void = () => undefined;
    const changes: boolean[] = [];
    const worker = new ProbeWorker({
      kind: 'readiness',
      probe: { exec: { command: ['x'] }, periodSeconds: 1 },
      run: () => new Promise((r) => (finish = r)),
      startedAt: Date.now(),
      now: Date.now,
      onChange: (ok) => changes.push(ok),
    });
    worker.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(worker.busy).toBe(true);
    worker.stop();
    finish({ ok: true, message: 'ok' });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(changes).toEqual([]);
  });
});

describe('runProbe', () => {
  it('cuts a hung exec handler at timeoutSeconds and closes its streams', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const runtime = {
      exec: async () => ({
        stdout,
        stderr,
        resize: async () => undefined,
        exitCode: new Promise<number>(() => undefined),
      }),
    } as unknown as Runtime;
    const result = runProbe(
      { exec: { command: ['sleep', 'forever'] }, timeoutSeconds: 2 },
      { runtime, containerId: 'c', podIP: '127.0.0.1', container: { name: 'main', image: 'x' } },
    );
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(result).resolves.toEqual({ ok: false, message: 'probe timed out after 2000 ms' });
    expect(stdout.destroyed && stderr.destroyed).toBe(true);
  });

  it('fails a probe without a handler with a clear message', async () => {
    const result = await runProbe(
      {},
      {
        runtime: {} as Runtime,
        containerId: 'c',
        podIP: '127.0.0.1',
        container: { name: 'main', image: 'x' },
      },
    );
    expect(result).toEqual({
      ok: false,
      message: 'probe has no handler: set exec, httpGet, tcpSocket or grpc',
    });
  });
});
