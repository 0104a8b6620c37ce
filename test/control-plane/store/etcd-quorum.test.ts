import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOST_QUORUM_RECOVERY } from '../../../src/control-plane/store/etcd-quorum.js';
import { createStore } from '../../../src/control-plane/store/index.js';
import type { Store } from '../../../src/control-plane/store/types.js';
import { type EtcdCluster, startEtcd } from '../../harness/etcd.js';
import { waitFor } from '../../support/wait.js';

describe("the etcd store's readiness (/readyz's etcd line) on a 3-member cluster", () => {
  let etcd: EtcdCluster;
  let store: Store;
  beforeAll(async () => {
    etcd = await startEtcd({ size: 3 });
    store = await createStore({ kind: 'etcd', endpoints: etcd.endpoints, compactIntervalMs: 0 });
  });
  afterAll(async () => {
    await store?.close();
    await etcd?.stop();
  });

  const fresh = async () => {
    // The store asks etcd at most once a second.
    await new Promise((r) => setTimeout(r, 1_100));
    return store.readiness!();
  };

  it('all members up: ready, 3/3 healthy', async () => {
    expect(await fresh()).toEqual({ name: 'etcd', ok: true, detail: '3/3 etcd members healthy' });
  });

  it('one member down: still ready (quorum), the member named with its endpoint', async () => {
    const [m0] = etcd.members;
    await m0!.kill();
    // If m0 led, the others elect a new leader first (a second or two without quorum).
    let r = await fresh();
    await waitFor(
      async () => {
        r = await fresh();
        return r.ok;
      },
      'a leader among the other two',
      30_000,
      200,
    );
    expect(r.detail).toMatch(
      /^etcd has quorum \(2\/3 healthy, 2 needed\); down: m0 \(http:\/\/127\.0\.0\.1:\d+: /,
    );
  });

  it('two members down: not ready, quorum lost, both named, the recovery given', async () => {
    await etcd.members[1]!.kill();
    let r = await fresh();
    await waitFor(
      async () => {
        r = await fresh();
        return !r.ok;
      },
      'the last member to lose its leader',
      30_000,
      200,
    );
    expect(r.detail).toMatch(
      /^etcd has lost quorum: no member can serve a read, 2 of 3 needed to write; down: /,
    );
    expect(r.detail).toMatch(/m0 \(http:\/\/127\.0\.0\.1:\d+: /);
    expect(r.detail).toMatch(/m1 \(http:\/\/127\.0\.0\.1:\d+: /);
    expect(r.detail).toMatch(/; up without a leader: m2; /);
    expect(r.detail).toContain(LOST_QUORUM_RECOVERY);
  });

  it('the members back: ready again', async () => {
    await etcd.members[0]!.restart();
    await etcd.members[1]!.restart();
    await waitFor(async () => (await fresh()).ok, 'quorum back', 60_000, 200);
    await waitFor(
      async () => (await fresh()).detail === '3/3 etcd members healthy',
      '3/3 healthy',
      60_000,
      200,
    );
  });
});
