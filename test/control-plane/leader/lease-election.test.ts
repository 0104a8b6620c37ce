import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LeaderElector, startLeaderElection } from '../../../src/control-plane/leader/lease-election.js';
import type { ControllerApi } from '../../../src/control-plane/machinery/api.js';
import type { Lease } from '../../../src/kube/index.js';
import { MemoryApi } from '../../support/memory-api.js';

/** A view of `api` that fails every call while `broken` is set (a partitioned instance). */
function partitionable(api: ControllerApi): ControllerApi & { broken: boolean } {
  const view = { broken: false } as ControllerApi & { broken: boolean };
  for (const k of [
    'get',
    'list',
    'watch',
    'create',
    'update',
    'updateStatus',
    'patch',
    'delete',
    'bind',
  ] as const) {
    (view as unknown as Record<string, unknown>)[k] = (...args: unknown[]) => {
      if (view.broken) return Promise.reject(new Error('connection refused'));
      return (api[k] as (...a: unknown[]) => Promise<unknown>).apply(api, args);
    };
  }
  return view;
}

// Virtual time (vitest's fake timers drive both setTimeout and Date.now) with the production
// timings: lease 15 s, renew deadline 10 s, retry every 2 s. Each step of an election happens at
// an exact virtual instant, so no assertion depends on how fast this machine is.
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('startLeaderElection', () => {
  const electors: LeaderElector[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
  });
  afterEach(async () => {
    for (const e of electors.splice(0)) await e.stop();
    vi.useRealTimers();
  });

  function elect(
    api: ControllerApi,
    identity: string,
    log: string[],
    clock?: { now(): number },
  ): LeaderElector {
    const e = startLeaderElection({
      api,
      identity,
      ...(clock ? { clock } : {}),
      onStartedLeading: () => {
        log.push(`${identity} started`);
      },
      onStoppedLeading: () => {
        log.push(`${identity} stopped`);
      },
    });
    electors.push(e);
    return e;
  }

  it('keeps exactly one leader; a partitioned leader steps down and the standby takes over', async () => {
    const store = new MemoryApi();
    const apiA = partitionable(store);
    const log: string[] = [];
    const a = elect(apiA, 'a', log); // steps at t = 0, 2, 4, ... s
    await advance(0);
    expect(a.isLeader()).toBe(true);
    await advance(1_000);
    const b = elect(store, 'b', log); // steps at t = 1, 3, 5, ... s
    await advance(19_500); // t = 20.5 s: a renewed at 20 s, b saw that renewal at 21 s at the latest
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);

    apiA.broken = true;
    await advance(9_000); // t = 29.5 s: 9.5 s since a's last renewal, inside the 10 s renew deadline
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    await advance(3_000); // t = 32.5 s: a's step at 32 s is past the deadline
    expect([a.isLeader(), b.isLeader()]).toEqual([false, false]);
    await advance(2_500); // t = 35 s: b first saw the last renewal at 21 s; 15 s have not passed
    expect(b.isLeader()).toBe(false);
    await advance(2_500); // t = 37.5 s: b's step at 37 s takes the lease
    expect([a.isLeader(), b.isLeader()]).toEqual([false, true]);
    expect(log).toEqual(['a started', 'a stopped', 'b started']);
    const [lease] = store.items<Lease>('leases');
    expect(lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1, leaseDurationSeconds: 15 });
  });

  it('does not let a standby take a lease that is still being renewed, whatever the clocks say', async () => {
    const store = new MemoryApi();
    const log: string[] = [];
    const a = elect(store, 'a', log);
    await advance(0);
    expect(a.isLeader()).toBe(true);
    // b's clock is an hour ahead: it must still wait for the lease to stop changing.
    const b = elect(store, 'b', log, { now: () => Date.now() + 3_600_000 });
    await advance(60_000);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(log).toEqual(['a started']);
  });

  it('a leader that stops releases the lease: the standby leads at its next step', async () => {
    const store = new MemoryApi();
    const log: string[] = [];
    const a = elect(store, 'a', log);
    await advance(1_000);
    const b = elect(store, 'b', log);
    await advance(10_000);
    expect(b.isLeader()).toBe(false);
    await a.stop();
    const [released] = store.items<Lease>('leases');
    expect(released?.spec.holderIdentity).toBeNull();
    await advance(2_000); // one retry period, far less than the 15 s lease
    expect(b.isLeader()).toBe(true);
    expect(log).toEqual(['a started', 'a stopped', 'b started']);
  });
});
