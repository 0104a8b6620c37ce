import { afterEach, describe, expect, it } from 'vitest';
import { type LeaderElector, startLeaderElection } from '../../../src/control-plane/leader/lease-election.js';
import type { ControllerApi } from '../../../src/control-plane/machinery/api.js';
import type { Lease } from '../../../src/kube/index.js';
import { MemoryApi } from '../../support/memory-api.js';
import { waitFor } from '../../support/sim-nodes.js';

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

const timing = { leaseDurationMs: 500, renewDeadlineMs: 300, retryPeriodMs: 50 };

describe('startLeaderElection', () => {
  const electors: LeaderElector[] = [];
  afterEach(async () => {
    for (const e of electors.splice(0)) await e.stop();
  });

  function elect(api: ControllerApi, identity: string, log: string[]): LeaderElector {
    const e = startLeaderElection({
      ...timing,
      api,
      identity,
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
    const a = elect(apiA, 'a', log);
    await waitFor('a leads', async () => a.isLeader());
    const b = elect(store, 'b', log);
    await new Promise((r) => setTimeout(r, 700));
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    apiA.broken = true;
    await waitFor('b leads', async () => b.isLeader(), 5_000);
    await waitFor('a stepped down', async () => !a.isLeader(), 5_000);
    expect([...log].sort()).toEqual(['a started', 'a stopped', 'b started']);
    const [lease] = store.items<Lease>('leases');
    expect(lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1, leaseDurationSeconds: 1 });
  });

  it('does not let a standby take a lease that is still being renewed, whatever the clocks say', async () => {
    const store = new MemoryApi();
    const log: string[] = [];
    const a = elect(store, 'a', log);
    await waitFor('a leads', async () => a.isLeader());
    // b's clock is an hour ahead: it must still wait for the lease to stop changing.
    const b = startLeaderElection({
      ...timing,
      api: store,
      identity: 'b',
      clock: { now: () => Date.now() + 3_600_000 },
      onStartedLeading: () => {
        log.push('b started');
      },
      onStoppedLeading: () => undefined,
    });
    electors.push(b);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(b.isLeader()).toBe(false);
    expect(log).toEqual(['a started']);
  });
});
