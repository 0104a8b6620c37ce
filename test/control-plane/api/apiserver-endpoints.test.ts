import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../src/control-plane/store/index.js';
import type { Store } from '../../../src/control-plane/store/types.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { jsonCaller } from '../../support/json-call.js';
import { waitFor } from '../../support/wait.js';

// Three API servers on one store, as three masters on one etcd. Each advertises its own address
// (127.0.0.1-3; only the Endpoints carry it) and listens on a port of its own.
const INTERVAL_MS = 100;
const LEASE_MS = 600;
const EP = '/api/v1/namespaces/default/endpoints/kubernetes';
const SLICE = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';

let dataDir: string;
let store: Store;
const servers: RunningApiServer[] = [];
const call = jsonCaller(() => servers[0]!.url);

const eventually = <T>(fn: () => Promise<T | undefined>, what = 'the kubernetes Endpoints') =>
  waitFor(fn, what, 10_000, 25);

const get = async (path: string) => {
  const r = await call('GET', path);
  return r.status === 200 ? r.body : undefined;
};

/** The Endpoints as `address:port` strings, subset by subset. */
const listed = (ep: { subsets?: { addresses: { ip: string }[]; ports: { port: number }[] }[] }) =>
  (ep.subsets ?? []).flatMap((s) => s.addresses.map((a) => `${a.ip}:${s.ports[0]!.port}`));

const endpointsListing = (want: string[]) =>
  eventually(async () => {
    const ep = await get(EP);
    return ep && JSON.stringify(listed(ep)) === JSON.stringify(want) ? ep : undefined;
  });

const expected = (list: RunningApiServer[]) =>
  list
    .map((s) => ({ key: `127.0.0.${servers.indexOf(s) + 1}:${s.port}`, port: s.port }))
    .sort((a, b) => a.port - b.port)
    .map((e) => e.key);

/** Waits until this server's lease has been renewed `n` more times (passes really ran). */
const passes = async (n: number) => {
  const name = `tugboat-apiserver-127.0.0.1-${servers[0]!.port}`;
  const first = (await get(`${LEASES}/${name}`)).metadata.resourceVersion;
  let seen = new Set([first]);
  await eventually(async () => {
    const rv = (await get(`${LEASES}/${name}`))?.metadata.resourceVersion;
    if (rv) seen = new Set([...seen, rv]);
    return seen.size > n ? true : undefined;
  }, 'lease renewals');
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-apiserver-endpoints-${process.pid}-`));
  store = await createStore({ kind: 'embedded', dataDir });
  for (const n of [1, 2, 3]) {
    servers.push(
      await startApiServer({
        store,
        advertiseAddress: `127.0.0.${n}`,
        kubernetesServiceIntervalMs: INTERVAL_MS,
        apiServerLeaseDurationMs: LEASE_MS,
      }),
    );
  }
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the kubernetes Endpoints with several API servers on one store', () => {
  it('list every API server, each with a lease in kube-system, and are not rewritten while nothing changes', async () => {
    const ep = await endpointsListing(expected(servers));
    for (const [i, s] of servers.entries()) {
      const lease = await get(`${LEASES}/tugboat-apiserver-127.0.0.${i + 1}-${s.port}`);
      expect(lease.metadata.labels).toEqual({ 'tugboat.io/apiserver-endpoint': 'true' });
      expect(lease.spec.holderIdentity).toBe(`127.0.0.${i + 1}:${s.port}`);
      expect(lease.spec.leaseDurationSeconds).toBe(1);
      expect(lease.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
    const slice = await get(SLICE);
    await passes(4);
    expect((await get(EP)).metadata.resourceVersion).toBe(ep.metadata.resourceVersion);
    expect((await get(SLICE)).metadata.resourceVersion).toBe(slice.metadata.resourceVersion);
    // The slice carries the first subset, as upstream's endpoints adapter.
    const first = ep.subsets[0];
    expect(slice.ports).toEqual(first.ports);
    expect(slice.endpoints).toEqual(
      first.addresses.map((a: { ip: string }) => ({ addresses: [a.ip], conditions: { ready: true } })),
    );
  });

  it('ignore malformed leases in kube-system and keep working', async () => {
    for (const body of [
      { metadata: { name: 'tugboat-apiserver-127.0.0.8-80' } },
      { metadata: { name: 'tugboat-apiserver-not-an-ip-80' }, spec: { holderIdentity: 'x' } },
      { metadata: { name: 'tugboat-apiserver-127.0.0.9-99999' }, spec: { holderIdentity: 'x' } },
      { metadata: { name: 'tugboat-apiserver-999.0.0.1-80' }, spec: {} },
    ]) {
      expect((await call('POST', LEASES, body)).status).toBe(201);
    }
    const before = await get(EP);
    await passes(3);
    const after = await get(EP);
    expect(listed(after)).toEqual(expected(servers));
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('drop a server that stops renewing its lease once the lease duration has passed, and delete the lease', async () => {
    // A lease no running server renews stands for a master that was killed.
    const ghost = 'tugboat-apiserver-127.0.0.7-1';
    const created = await call('POST', LEASES, {
      metadata: { name: ghost },
      spec: { holderIdentity: '127.0.0.7:1', leaseDurationSeconds: 1 },
    });
    expect(created.status).toBe(201);
    await endpointsListing(['127.0.0.7:1', ...expected(servers)]);
    const started = performance.now();
    await endpointsListing(expected(servers));
    expect(performance.now() - started).toBeGreaterThan(LEASE_MS / 2);
    await eventually(async () =>
      (await call('GET', `${LEASES}/${ghost}`)).status === 404 ? true : undefined,
    );
  });

  it('consider at most 64 leases, so a flood cannot blow up the Endpoints, and recover once they go stale', async () => {
    for (let n = 0; n < 80; n++) {
      const name = `tugboat-apiserver-10.1.0.${n}-443`;
      expect(
        (await call('POST', LEASES, { metadata: { name }, spec: { holderIdentity: name } })).status,
      ).toBe(201);
    }
    const flooded = await eventually(async () => {
      const ep = await get(EP);
      return ep && listed(ep).length > 3 ? ep : undefined;
    });
    expect(listed(flooded).length).toBeLessThanOrEqual(65);
    await endpointsListing(expected(servers));
    const left = await get(LEASES);
    expect(
      left.items.filter((l: { metadata: { name: string } }) => l.metadata.name.includes('10.1.0.')),
    ).toEqual([]);
  });

  it('drop a server at once when it stops gracefully; the last one writes nothing and leaves its address behind', async () => {
    const [, second, third] = servers;
    await second!.stop();
    const rest = [servers[0]!, third!];
    expect(listed(await get(EP))).toEqual(expected(rest));
    expect((await call('GET', `${LEASES}/tugboat-apiserver-127.0.0.2-${second!.port}`)).status).toBe(404);
    await third!.stop();
    expect(listed(await get(EP))).toEqual(expected([servers[0]!]));
    servers.splice(1, 2);
    const lastPort = servers[0]!.port;
    const revisionBefore = await store.currentRevision();
    await servers[0]!.stop();
    servers.length = 0;
    // The lone server's stop writes nothing (a restore plans at the last revision, then stops it).
    expect(await store.currentRevision()).toBe(revisionBefore);
    // Read straight from a fresh server on the same store: upstream never erases every endpoint.
    const reader = await startApiServer({ store });
    const r = await jsonCaller(() => reader.url)('GET', EP);
    await reader.stop();
    expect(listed(r.body)).toEqual([`127.0.0.1:${lastPort}`]);
  });
});
