import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store } from '../../../src/control-plane/store/index.js';
import { type EtcdCluster, findLeader, startEtcd } from '../../harness/etcd.js';
import { collect } from './contract.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('etcd store on a 3-member cluster', () => {
  let etcd: EtcdCluster;
  let store: Store;
  beforeAll(async () => {
    etcd = await startEtcd({ size: 3 });
    store = await createStore({
      kind: 'etcd',
      endpoints: etcd.endpoints,
      prefix: `/cluster-${process.pid}`,
      retryTimeoutMs: 30_000,
    });
  });
  afterAll(async () => {
    await store?.close();
    await etcd?.stop();
  });

  it('keeps writing (with retries) and watching after the leader is killed', async () => {
    const watch = await collect(store, '/k/', { prefix: true });
    for (let i = 0; i < 10; i++) expect((await store.create(`/k/before-${i}`, enc('x'))).ok).toBe(true);
    const leader = await findLeader(etcd);
    expect(leader).toBeDefined();
    await leader!.kill();

    const after: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await store.create(`/k/after-${i}`, enc('y'));
      expect(r.ok).toBe(true);
      if (r.ok) after.push(r.kv.modRevision);
    }
    for (let i = 1; i < after.length; i++) expect(after[i]).toBeGreaterThan(after[i - 1]!);
    const newLeader = await findLeader(etcd);
    expect(newLeader?.name).not.toBe(leader!.name);
    expect((await store.range('/k/', { prefix: true })).kvs).toHaveLength(20);

    // The watch survives the member loss without gaps or repeats.
    await watch.waitForEvents(20);
    const keys = watch.events.map((e) => e.kv.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(20);
    expect(watch.errors).toEqual([]);
    await watch.watch.cancel();

    // The killed member rejoins from its data dir and catches up.
    await leader!.restart();
    const single = await createStore({
      kind: 'etcd',
      endpoints: [leader!.clientUrl],
      prefix: `/cluster-${process.pid}`,
    });
    try {
      const deadline = Date.now() + 30_000;
      let seen = 0;
      while (Date.now() < deadline) {
        seen = (await single.range('/k/', { prefix: true }).catch(() => ({ kvs: [] }))).kvs.length;
        if (seen === 20) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(seen).toBe(20);
    } finally {
      await single.close();
    }
  });
});
