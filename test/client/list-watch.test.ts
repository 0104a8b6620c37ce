import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  isGone,
  KubeClient,
  type Pod,
  resources,
  runListWatch,
  runReflector,
} from '../../src/client/index.js';
import { type FakeApi, startFakeApi } from '../support/fake-api.js';

let api: FakeApi;
let client: KubeClient;
beforeAll(async () => {
  api = await startFakeApi();
  client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
});
afterAll(async () => {
  client.close();
  await api.close();
});

const pod = (name: string, nodeName: string): Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { nodeName, containers: [{ name: 'c', image: 'x' }] },
});

async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('lists, watches, re-watches after a dropped stream and relists after 410', async () => {
  await client.create(resources.pods, pod('p1', 'n1'));
  await client.create(resources.pods, pod('other', 'n2'));
  const state = new Map<string, Pod>();
  let replaces = 0;
  const lw = runListWatch<Pod>(
    client,
    resources.pods,
    { fieldSelector: { 'spec.nodeName': 'n1' }, retryDelayMs: 20 },
    {
      onReplace(items) {
        replaces++;
        state.clear();
        for (const p of items) state.set(p.metadata.name ?? '', p);
      },
      onEvent(e) {
        if (e.type === 'DELETED') state.delete(e.object.metadata.name ?? '');
        else state.set(e.object.metadata.name ?? '', e.object);
      },
    },
  );
  await lw.synced;
  expect([...state.keys()]).toEqual(['p1']);

  await client.create(resources.pods, pod('p2', 'n1'));
  await until(() => state.has('p2'), 'p2 via watch');

  api.dropWatches();
  await client.create(resources.pods, pod('p3', 'n1'));
  await until(() => state.has('p3'), 'p3 after re-watch');
  expect(replaces).toBe(1);

  api.expireWatches();
  await client.delete(resources.pods, 'p1', { namespace: 'default', gracePeriodSeconds: 0 });
  await until(() => replaces === 2 && !state.has('p1'), 'relist after 410');
  expect([...state.keys()].sort()).toEqual(['p2', 'p3']);
  await lw.stop();
});

it('reports a watch from a compacted resourceVersion as 410 Gone', async () => {
  const old = (await client.list(resources.pods)).metadata.resourceVersion;
  await client.create(resources.pods, pod('p9', 'n9'));
  api.compact();
  const next = client.watch(resources.pods, { resourceVersion: old }).next();
  await expect(next).rejects.toSatisfy(isGone);
});

it('backs off instead of busy-looping when every watch ends at once with nothing in it', async () => {
  let watches = 0;
  const lw = runReflector<Pod>(
    {
      list: async () => ({ items: [], resourceVersion: '1' }),
      // biome-ignore lint/correctness/useYield: an empty stream that ends at once is the case under test
      watch: async function* () {
        watches++;
      },
    },
    { retryDelayMs: 20, maxRetryDelayMs: 40 },
    { onReplace: () => undefined, onEvent: () => undefined },
  );
  await lw.synced;
  await new Promise((r) => setTimeout(r, 300));
  await lw.stop();
  // Without the back-off this is thousands of watches in 300 ms; with it, at most one per ~10-40 ms.
  expect(watches).toBeGreaterThan(1);
  expect(watches).toBeLessThan(40);
});
