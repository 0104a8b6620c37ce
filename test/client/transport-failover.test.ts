import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, resources } from '../../src/client/index.js';
import { createStore } from '../../src/control-plane/store/index.js';
import type { Store } from '../../src/control-plane/store/types.js';
import type { ConfigMap } from '../../src/kube/index.js';
import { type RunningApiServer, startApiServer } from '../support/api-server.js';
import { makeTestPki, type TestPki } from '../support/certs.js';

// Two "masters": two API servers over TLS on one store (as two masters share etcd). The client
// is a node's (mutual TLS, as the agent's); its first server dies under it.
let pki: TestPki;
let store: Store;
let dataDir: string;
let first: RunningApiServer;
let second: RunningApiServer;
let client: KubeClient;

beforeAll(async () => {
  pki = makeTestPki();
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-failover-${process.pid}-`));
  store = await createStore({ kind: 'embedded', dataDir });
  const tls = { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert };
  first = await startApiServer({ store, tls });
  second = await startApiServer({ store, tls });
  const admin = pki.client('admin', ['system:masters']);
  client = new KubeClient({
    server: first.url,
    failoverServers: [second.url],
    ca: pki.ca.cert,
    cert: admin.cert,
    key: admin.key,
  });
});

afterAll(async () => {
  client?.transport.close();
  await second?.stop();
  await first?.stop().catch(() => undefined);
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const configMap = (name: string): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data: { n: name },
});

describe('Transport failoverServers', () => {
  it('uses the first server while it answers', async () => {
    await client.create(resources.configMaps, configMap('before'));
    expect(client.transport.server).toBe(`${first.url}/`);
  });

  it('moves to the next server when the first dies, and stays there', async () => {
    await first.stop();
    const got = await client.get<ConfigMap>(resources.configMaps, 'before', 'default');
    expect(got.data).toEqual({ n: 'before' });
    expect(client.transport.server).toBe(`${second.url}/`);
    await client.create(resources.configMaps, configMap('after'));
    const list = await client.list<ConfigMap>(resources.configMaps, { namespace: 'default' });
    expect(list.items.map((c) => c.metadata.name).sort()).toEqual(['after', 'before']);
  });

  it('reports the connection error when no server answers', async () => {
    const lone = new KubeClient({
      server: first.url,
      failoverServers: [first.url.replace(/:\d+$/, ':1')],
      ca: pki.ca.cert,
    });
    await expect(lone.get(resources.configMaps, 'before', 'default')).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    lone.transport.close();
  });

  it('does not fail over on an HTTP error: the server answered', async () => {
    await expect(client.get(resources.configMaps, 'missing', 'default')).rejects.toMatchObject({
      status: 404,
    });
    expect(client.transport.server).toBe(`${second.url}/`);
  });
});
