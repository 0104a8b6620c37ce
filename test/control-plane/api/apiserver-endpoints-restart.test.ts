import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../src/control-plane/store/index.js';
import type { Store } from '../../../src/control-plane/store/types.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { jsonCaller } from '../../support/json-call.js';
import { waitFor } from '../../support/wait.js';

// An API server starting (or restarting) on a store that holds the leases of other masters: the
// ones whose renewTime ran out long ago are dropped by its very first pass. The interval is long,
// so the Endpoints it writes are that first pass's.
const EP = '/api/v1/namespaces/default/endpoints/kubernetes';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';

let dataDir: string;
let store: Store;
let writer: RunningApiServer | undefined;
let server: RunningApiServer | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-apiserver-restart-${process.pid}-`));
  store = await createStore({ kind: 'embedded', dataDir });
  writer = await startApiServer({ store });
});
afterAll(async () => {
  await server?.stop();
  await writer?.stop();
  await store?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('an API server starting next to leases of other masters', () => {
  it('drops a lease whose renewTime is long past on its first pass, and keeps a fresh one and one ahead of its clock', async () => {
    const call = jsonCaller(() => writer!.url);
    const lease = (n: number, renewTime: Date) => ({
      metadata: { name: `tugboat-apiserver-127.0.0.${n}-1` },
      spec: {
        holderIdentity: `127.0.0.${n}:1`,
        leaseDurationSeconds: 15,
        renewTime: renewTime.toISOString(),
      },
    });
    const now = Date.now();
    for (const body of [
      lease(7, new Date(now - 300_000)), // a master killed 5 minutes ago
      lease(8, new Date(now)),
      lease(9, new Date(now + 600_000)), // a master whose clock runs 10 minutes ahead
    ]) {
      expect((await call('POST', LEASES, body)).status).toBe(201);
    }
    server = await startApiServer({
      store,
      advertiseAddress: '127.0.0.1',
      kubernetesServiceIntervalMs: 600_000,
    });
    const ep = await waitFor(
      async () => {
        const r = await call('GET', EP);
        return r.status === 200 ? r.body : undefined;
      },
      'the kubernetes Endpoints',
      10_000,
      25,
    );
    expect(ep.subsets).toEqual([
      {
        addresses: [{ ip: '127.0.0.8' }, { ip: '127.0.0.9' }],
        ports: [{ name: 'https', port: 1, protocol: 'TCP' }],
      },
      {
        addresses: [{ ip: '127.0.0.1' }],
        ports: [{ name: 'https', port: server.port, protocol: 'TCP' }],
      },
    ]);
    expect((await call('GET', `${LEASES}/tugboat-apiserver-127.0.0.7-1`)).status).toBe(404);
    expect((await call('GET', `${LEASES}/tugboat-apiserver-127.0.0.8-1`)).status).toBe(200);
  });
});
