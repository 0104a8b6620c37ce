import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addEtcdMember,
  listEtcdMembers,
  removeEtcdMember,
} from '../../../src/control-plane/store/etcd-members.js';
import { createStore, type Store } from '../../../src/control-plane/store/index.js';
import type { TugboatEvent } from '../../../src/events.js';
import { type EtcdCluster, type EtcdMember, startEtcd } from '../../harness/etcd.js';
import { freePort } from '../../harness/process.js';
import { collect } from './contract.js';

const enc = (s: string) => new TextEncoder().encode(s);

// The problem the sync solves: masters replaced at new addresses, one after the other, until
// none of the API server's configured endpoints is a member any more.
describe('etcd endpoint sync across two member replacements', () => {
  let etcd: EtcdCluster;
  let store: Store | undefined;
  const events: TugboatEvent[] = [];
  beforeAll(async () => {
    etcd = await startEtcd({ size: 3 });
  });
  afterAll(async () => {
    await store?.close();
    await etcd?.stop();
  });

  /** The endpoints of the latest sync, sorted. */
  const lastSynced = () =>
    [
      ...((events.filter((e) => e.code === 'store.endpoints-synced').at(-1)?.data?.endpoints as string[]) ??
        []),
    ].sort();

  async function waitForSynced(expected: readonly string[]): Promise<void> {
    const want = [...expected].sort();
    const deadline = Date.now() + 30_000;
    while (JSON.stringify(lastSynced()) !== JSON.stringify(want)) {
      if (Date.now() > deadline)
        throw new Error(`endpoints never synced to ${want.join(', ')}; last ${lastSynced().join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Removes `old` from the cluster, stops it, and starts `name` at a new address in its place. */
  async function replace(old: EtcdMember, name: string, live: readonly string[]): Promise<EtcdMember> {
    const id = (await listEtcdMembers({ endpoints: live })).find((m) => m.name === old.name)!.id;
    await removeEtcdMember({ endpoints: live }, id);
    await old.kill();
    const peerPort = await freePort();
    const added = await addEtcdMember({ endpoints: live }, name, [`http://127.0.0.1:${peerPort}`]);
    return etcd.startJoiningMember({ name, peerPort, initialCluster: added.initialCluster });
  }

  it('follows the members until none of the configured endpoints is one, without losing a write or an event', async () => {
    const [a, b, c] = etcd.members as [EtcdMember, EtcdMember, EtcdMember];
    store = await createStore({
      kind: 'etcd',
      endpoints: [a.clientUrl, b.clientUrl],
      prefix: '/replace',
      endpointSyncIntervalMs: 100,
      compactIntervalMs: 0,
      retryTimeoutMs: 30_000,
      events: { emit: (e) => events.push(e) },
    });
    const watch = await collect(store, '/r/', { prefix: true });
    const keys: string[] = [];
    const write = async (key: string) => {
      expect((await store!.create(key, enc('v'))).ok).toBe(true);
      keys.push(key);
    };
    await waitForSynced([a.clientUrl, b.clientUrl, c.clientUrl]);
    for (let i = 0; i < 5; i++) await write(`/r/0-${i}`);

    const d = await replace(b, 'm3', [a.clientUrl, c.clientUrl]);
    await waitForSynced([a.clientUrl, c.clientUrl, d.clientUrl]);
    for (let i = 0; i < 5; i++) await write(`/r/1-${i}`);

    const e = await replace(a, 'm4', [c.clientUrl, d.clientUrl]);
    await waitForSynced([c.clientUrl, d.clientUrl, e.clientUrl]);
    // Both configured endpoints are gone; the store works through the members it learnt.
    for (let i = 0; i < 5; i++) await write(`/r/2-${i}`);
    expect((await store.range('/r/', { prefix: true })).kvs.map((kv) => kv.key)).toEqual([...keys].sort());
    const ready = await store.readiness!();
    expect(ready).toMatchObject({ ok: true, detail: '3/3 etcd members healthy' });

    await watch.waitForEvents(15);
    expect(watch.errors).toEqual([]);
    expect(watch.events.map((ev) => ev.kv.key)).toEqual(keys);
    await watch.watch.cancel();
  });
});
