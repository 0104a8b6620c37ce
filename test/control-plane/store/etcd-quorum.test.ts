import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOST_QUORUM_RECOVERY } from '../../../src/control-plane/store/etcd-quorum.js';
import { createStore } from '../../../src/control-plane/store/index.js';
import type { Store } from '../../../src/control-plane/store/types.js';
import { type EtcdCluster, startEtcd } from '../../harness/etcd.js';
import { waitFor } from '../../support/wait.js';

/**
 * A 3-member etcd and an etcd store on the endpoints `endpointsOf` picks, for the describe block
 * that calls it (stopped after it); `fresh()` is the store's readiness once its cache expired.
 */
function storeOnEtcd(endpointsOf: (etcd: EtcdCluster) => Promise<string[]>) {
  let etcd: EtcdCluster;
  let store: Store;
  beforeAll(async () => {
    etcd = await startEtcd({ size: 3 });
    store = await createStore({
      kind: 'etcd',
      endpoints: await endpointsOf(etcd),
      compactIntervalMs: 0,
      // These tests are about the configured endpoints: no sync may replace them.
      endpointSyncIntervalMs: 0,
    });
  });
  afterAll(async () => {
    await store?.close();
    await etcd?.stop();
  });
  return {
    members: () => etcd.members,
    fresh: async () => {
      // The store asks etcd at most once a second.
      await new Promise((r) => setTimeout(r, 1_100));
      return store.readiness!();
    },
  };
}

describe("the etcd store's readiness (/readyz's etcd line) on a 3-member cluster", () => {
  const { members, fresh } = storeOnEtcd(async (etcd) => etcd.endpoints);

  it('all members up: ready, 3/3 healthy', async () => {
    expect(await fresh()).toEqual({ name: 'etcd', ok: true, detail: '3/3 etcd members healthy' });
  });

  it('one member down: still ready (quorum), the member named with its endpoint', async () => {
    const [m0] = members();
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
    await members()[1]!.kill();
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
    await members()[0]!.restart();
    await members()[1]!.restart();
    await waitFor(async () => (await fresh()).ok, 'quorum back', 60_000, 200);
    await waitFor(
      async () => (await fresh()).detail === '3/3 etcd members healthy',
      '3/3 healthy',
      60_000,
      200,
    );
  });
});

// A master replaced after this API server started: its --etcd-endpoints still name the gone
// member's address and not the new one. The member list decides what the line speaks of.
describe("the etcd store's readiness with endpoints that no longer match the members", () => {
  let gone = '';
  const { members, fresh } = storeOnEtcd(async (etcd) => {
    // An address nothing listens on (taken, then released): the replaced master's.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    gone = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise((r) => server.close(r));
    return [etcd.members[0]!.clientUrl, gone];
  });

  it('the members the endpoints do not name are asked, the gone endpoint is not counted: 3/3 healthy', async () => {
    await waitFor(
      async () => (await fresh()).detail === '3/3 etcd members healthy',
      '3/3 healthy',
      30_000,
      200,
    );
  });

  it('a member the endpoints do not name goes down: named as down (by its name), still ready', async () => {
    await members()[2]!.kill();
    let r = await fresh();
    await waitFor(
      async () => {
        r = await fresh();
        return r.ok && r.detail.startsWith('etcd has quorum');
      },
      'm2 reported down',
      30_000,
      200,
    );
    expect(r.detail).toMatch(
      /^etcd has quorum \(2\/3 healthy, 2 needed\); down: m2 \(http:\/\/127\.0\.0\.1:\d+: /,
    );
    expect(r.detail).not.toContain(gone);
  });

  it('no member answers: the configured endpoints are what is reported', async () => {
    await members()[0]!.kill();
    await members()[1]!.kill();
    const r = await fresh();
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^etcd has lost quorum: /);
    expect(r.detail).toContain(gone);
  });
});
