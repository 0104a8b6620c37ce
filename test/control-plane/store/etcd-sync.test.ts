import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/control-plane/open-store.js';
import { EtcdClient, type EtcdKv, num } from '../../../src/control-plane/store/etcd-client.js';
import { syncEtcdEndpoints } from '../../../src/control-plane/store/etcd-sync.js';
import { startEtcdWatch } from '../../../src/control-plane/store/etcd-watch.js';
import { createStore, type Store, type WatchEvent } from '../../../src/control-plane/store/index.js';
import type { TugboatEvent } from '../../../src/events.js';
import { type EtcdCluster, startEtcd } from '../../harness/etcd.js';
import { type PausableProxy, startPausableProxy } from '../../harness/pausable-proxy.js';
import { freePort } from '../../harness/process.js';
import { collect } from './contract.js';

const enc = (s: string) => new TextEncoder().encode(s);
const sorted = (a: readonly string[]) => [...a].sort();

async function until(what: string, done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every key once, in revision order: no event lost or repeated. */
function expectExactlyOnce(events: readonly WatchEvent[], keys: readonly string[]): void {
  expect(events.map((e) => e.kv.key)).toEqual(keys);
  const revisions = events.map((e) => e.kv.modRevision);
  for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1]!);
}

describe('etcd endpoint sync on a real 3-member cluster', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcd({ size: 3 });
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('a client started with a proxy to one member moves to the members, and its watch resumes exactly once', async () => {
    const [, b] = etcd.members;
    const proxy: PausableProxy = await startPausableProxy(Number(new URL(b!.clientUrl).port));
    const viaProxy = `http://127.0.0.1:${proxy.port}`;
    const client = new EtcdClient({ endpoints: [viaProxy] });
    const writer = await createStore({
      kind: 'etcd',
      endpoints: etcd.endpoints,
      prefix: '',
      endpointSyncIntervalMs: 0,
      compactIntervalMs: 0,
    });
    try {
      const head = await client.unary<{ header: { revision: number } }>('KV', 'Range', {
        key: Buffer.from('/move/'),
        count_only: true,
      });
      const seen: WatchEvent[] = [];
      const errors: Error[] = [];
      const toKv = (kv: EtcdKv) => ({
        key: kv.key.toString('utf8'),
        value: new Uint8Array(kv.value),
        createRevision: num(kv.create_revision),
        modRevision: num(kv.mod_revision),
      });
      const watch = await startEtcdWatch(
        {
          client,
          key: Buffer.from('/move/'),
          prefix: true,
          startRevision: num(head.header.revision) + 1,
          toKv,
          retryTimeoutMs: 30_000,
        },
        { onEvents: (batch) => seen.push(...batch), onError: (err) => errors.push(err) },
      );
      const keys: string[] = [];
      const write = async (i: number) => {
        const key = `/move/k-${String(i).padStart(3, '0')}`;
        expect((await writer.create(key, enc('v'))).ok).toBe(true);
        keys.push(key);
      };
      for (let i = 0; i < 10; i++) await write(i);
      // Writes keep coming while the sync replaces the endpoint the watch stream is on.
      const during = (async () => {
        for (let i = 10; i < 30; i++) await write(i);
      })();
      const events: TugboatEvent[] = [];
      const synced = await syncEtcdEndpoints(client, 'http:', { emit: (e) => events.push(e) });
      await during;
      expect(sorted(synced ?? [])).toEqual(sorted(etcd.endpoints));
      expect(sorted(client.endpoints)).toEqual(sorted(etcd.endpoints));
      expect(events.map((e) => e.code)).toEqual(['store.endpoints-synced']);
      // The proxy now black-holes: a stream still on it would miss the events that follow.
      proxy.pause();
      for (let i = 30; i < 40; i++) await write(i);
      await until('40 watch events', () => seen.length >= 40 || errors.length > 0);
      expect(errors).toEqual([]);
      expectExactlyOnce(seen, keys);
      // Reads go to the members too (not through the black-holed proxy).
      const read = await client.unary<{ count: number }>('KV', 'Range', {
        key: Buffer.from('/move/'),
        range_end: Buffer.from('/move0'),
        count_only: true,
      });
      expect(num(read.count)).toBe(40);
      await watch.cancel();
    } finally {
      client.close();
      await writer.close();
      await proxy.close();
    }
  });

  it('a member list that fails, or names nothing usable, keeps the list', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const events: TugboatEvent[] = [];
    const sink = { emit: (e: TugboatEvent) => events.push(e) };
    const nowhere = new EtcdClient({ endpoints: [dead], callTimeoutMs: 2_000 });
    try {
      expect(await syncEtcdEndpoints(nowhere, 'http:', sink)).toBeUndefined();
      expect(nowhere.endpoints).toEqual([dead]);
    } finally {
      nowhere.close();
    }
    const a = etcd.members[0]!.clientUrl;
    const plain = new EtcdClient({ endpoints: [a] });
    try {
      // The members advertise http:// only; a client configured for https:// takes none of them.
      expect(await syncEtcdEndpoints(plain, 'https:', sink)).toBeUndefined();
      expect(plain.endpoints).toEqual([a]);
    } finally {
      plain.close();
    }
    expect(events.map((e) => [e.code, e.level])).toEqual([
      ['store.endpoint-sync-failed', 'warn'],
      ['store.endpoint-sync-failed', 'warn'],
    ]);
    expect(events[0]!.message).toMatch(
      /^no etcd endpoint answered the member list \(http:\/\/127\.0\.0\.1:\d+: /,
    );
    expect(events[1]!.message).toContain('names no started member with a https:// client URL');
  });

  it("the control plane's store options carry the interval (etcdEndpointSyncIntervalMs)", async () => {
    const events: TugboatEvent[] = [];
    const sink = { emit: (e: TugboatEvent) => events.push(e) };
    const a = etcd.members[0]!.clientUrl;
    const opened = await openStore(
      { store: 'etcd', etcdEndpoints: [a], etcdEndpointSyncIntervalMs: 100 },
      sink,
      () => undefined,
    );
    try {
      await until('an endpoint sync', () => events.some((e) => e.code === 'store.endpoints-synced'));
      const ready = await opened.store.readiness!();
      expect(ready).toMatchObject({ ok: true, detail: '3/3 etcd members healthy' });
    } finally {
      await opened.store.close();
      await opened.stopShipping();
    }
  });

  // Last: it kills member A.
  it('a store started with member A only learns B and C, and keeps reading, writing and watching after A stops', async () => {
    const [a] = etcd.members;
    const events: TugboatEvent[] = [];
    let store: Store | undefined;
    try {
      store = await createStore({
        kind: 'etcd',
        endpoints: [a!.clientUrl],
        prefix: '/sync',
        endpointSyncIntervalMs: 100,
        compactIntervalMs: 0,
        retryTimeoutMs: 30_000,
        events: { emit: (e) => events.push(e) },
      });
      const watch = await collect(store, '/s/', { prefix: true });
      const keys: string[] = [];
      for (let i = 0; i < 10; i++) {
        keys.push(`/s/before-${i}`);
        expect((await store.create(`/s/before-${i}`, enc('x'))).ok).toBe(true);
      }
      await until('an endpoint sync', () => events.some((e) => e.code === 'store.endpoints-synced'));
      const synced = events.find((e) => e.code === 'store.endpoints-synced')!;
      expect(sorted(synced.data!.endpoints as string[])).toEqual(sorted(etcd.endpoints));

      await a!.kill();
      for (let i = 0; i < 10; i++) {
        keys.push(`/s/after-${i}`);
        expect((await store.create(`/s/after-${i}`, enc('y'))).ok).toBe(true);
      }
      expect((await store.range('/s/', { prefix: true })).kvs.map((kv) => kv.key)).toEqual(sorted(keys));
      await watch.waitForEvents(20);
      expect(watch.errors).toEqual([]);
      expectExactlyOnce(watch.events, keys);
      // Member A stays listed (it is still a member); nothing in the sync emptied the list.
      expect(events.filter((e) => e.code === 'store.endpoints-synced')).toHaveLength(1);
      await watch.watch.cancel();
    } finally {
      await store?.close();
    }
  });
});
