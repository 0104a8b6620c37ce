import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../src/control-plane/store/index.js';
import type { Store } from '../../../src/control-plane/store/types.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { jsonCaller } from '../../support/json-call.js';

// An eviction pins the pod's resourceVersion when it lets a pod go without a budget check (a
// Pending pod here), so a pod that became healthy meanwhile is not deleted unchecked. When another
// writer (an agent's status report) wins the race, the eviction decides again on the new version,
// at most 5 times. The store below is the real embedded store; it only lets "another writer"
// rewrite the pod just before the eviction's own read-modify-write of it.

const dir = mkdtempSync(join(tmpdir(), 'tugboat-drain-evict-retry-'));
let inner: Store;
let srv: RunningApiServer;
/** Rewrites of the pod still to make, each just before every second read of its key. */
let race: { key: string; left: number; reads: number } | undefined;

beforeAll(async () => {
  inner = await createStore({ kind: 'embedded', dataDir: dir });
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'get')
        return async (key: string) => {
          if (race && key === race.key && ++race.reads % 2 === 0 && race.left > 0) {
            race.left--;
            const kv = await target.get(key);
            if (kv) await target.update(key, kv.value, kv.modRevision);
          }
          return target.get(key);
        };
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  srv = await startApiServer({ store });
});
afterAll(async () => {
  await srv?.stop();
  await inner?.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = jsonCaller(() => srv.url);
const ns = '/api/v1/namespaces/default';

async function pendingPod(name: string) {
  const made = await call('POST', `${ns}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  expect(made.status).toBe(201);
  expect(made.body.status.phase).toBe('Pending');
  race = { key: '', left: 0, reads: 0 };
}
const evict = (name: string) =>
  call('POST', `${ns}/pods/${name}/eviction`, {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name },
  });
const podKey = async (name: string) => {
  const { kvs } = await inner.range('/', { prefix: true });
  return kvs.map((kv) => kv.key).find((k) => k.endsWith(`/pods/default/${name}`)) ?? '';
};

describe('eviction against a pod that keeps changing', () => {
  it('decides again when another write lands between its read and its own write, then evicts', async () => {
    await pendingPod('moving');
    race = { key: await podKey('moving'), left: 2, reads: 0 };
    const res = await evict('moving');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(race.left).toBe(0);
    expect((await call('GET', `${ns}/pods/moving`)).status).toBe(404);
  });

  it('gives up with the 409 after 5 attempts', async () => {
    await pendingPod('restless');
    race = { key: await podKey('restless'), left: 100, reads: 0 };
    const res = await evict('restless');
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('Precondition failed: ResourceVersion in precondition');
    expect(race.left).toBe(95);
    race = undefined;
    expect((await call('GET', `${ns}/pods/restless`)).status).toBe(200);
  });
});
