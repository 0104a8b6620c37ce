import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServerFollower, startApiServerFollower } from '../../src/agent/api-server-follower.js';
import { API_SERVERS_FILE, loadSavedApiServers } from '../../src/agent/api-server-list.js';
import { KubeClient, resources } from '../../src/client/index.js';
import { createStore } from '../../src/control-plane/store/index.js';
import type { Store } from '../../src/control-plane/store/types.js';
import { RecordingEvents } from '../../src/events.js';
import type { Endpoints } from '../../src/kube/index.js';
import { type RunningApiServer, startApiServer } from '../support/api-server.js';
import { makeTestPki, type TestPki } from '../support/certs.js';

// Three "masters": API servers over TLS on one store, all on 127.0.0.1 (the test certificate names
// that address), told apart by port: each is one subset of the Endpoints. The follower runs with a
// node's identity, as the agent does, so the node authorizer's read of endpoints is exercised too.
let pki: TestPki;
let store: Store;
let storeDir: string;
let dataDir: string;
const masters: RunningApiServer[] = [];
let admin: KubeClient;
let node: KubeClient;
let follower: ApiServerFollower | undefined;
const events = new RecordingEvents();

const subsetOf = (m: RunningApiServer) => ({
  addresses: [{ ip: '127.0.0.1' }],
  ports: [{ name: 'https', port: m.port, protocol: 'TCP' }],
});
const urlOf = (m: RunningApiServer) => `${m.url}/`;

async function setEndpoints(list: RunningApiServer[]): Promise<void> {
  const subsets = list.map(subsetOf);
  try {
    const cur = await admin.get<Endpoints>(resources.endpoints, 'kubernetes', 'default');
    await admin.update(resources.endpoints, { ...cur, subsets });
  } catch {
    await admin.create<Endpoints>(resources.endpoints, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default' },
      subsets,
    });
  }
}

beforeAll(async () => {
  pki = makeTestPki();
  storeDir = mkdtempSync(join(tmpdir(), `tugboat-follow-store-${process.pid}-`));
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-follow-data-${process.pid}-`));
  store = await createStore({ kind: 'embedded', dataDir: storeDir });
  const tls = { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert };
  for (let i = 0; i < 3; i++) masters.push(await startApiServer({ store, tls }));
  admin = new KubeClient({
    server: masters[0]!.url,
    failoverServers: masters.slice(1).map((m) => m.url),
    ca: pki.ca.cert,
    ...pki.client('admin', ['system:masters']),
  });
  node = new KubeClient({
    server: masters[0]!.url,
    ca: pki.ca.cert,
    ...pki.client('system:node:n1', ['system:nodes']),
  });
});

afterAll(async () => {
  await follower?.stop();
  node?.close();
  admin?.close();
  for (const m of masters) await m.stop().catch(() => undefined);
  await store?.close();
  rmSync(storeDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

describe('api server follower', () => {
  it('takes the server list from default/kubernetes and saves it', async () => {
    const [a, b] = masters as [RunningApiServer, RunningApiServer];
    await setEndpoints([a, b]);
    follower = startApiServerFollower({
      client: node,
      configured: [a.url],
      dataDir,
      events,
      retryDelayMs: 20,
    });
    await follower.synced;
    // The configured server stays as a fallback after the listed ones (here it is one of them).
    expect(node.transport.servers).toEqual([urlOf(a), urlOf(b)]);
    const file = join(dataDir, API_SERVERS_FILE);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ servers: [urlOf(a), urlOf(b)] });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('follows a change of the Endpoints: masters replaced', async () => {
    const [a, b, c] = masters as [RunningApiServer, RunningApiServer, RunningApiServer];
    await setEndpoints([b, c]);
    // The configured server a is kept last, as a fallback should every listed one fail.
    await expect.poll(() => node.transport.servers).toEqual([urlOf(b), urlOf(c), urlOf(a)]);
    // The old current server is no longer listed by the cluster: the first listed one takes over.
    expect(node.transport.server).toBe(urlOf(b));
    await expect.poll(() => loadSavedApiServers(dataDir, events)).toEqual([urlOf(b), urlOf(c)]);
    await a.stop();
    const got = await node.get<Endpoints>(resources.endpoints, 'kubernetes', 'default');
    expect(got.subsets).toEqual([subsetOf(b), subsetOf(c)]);
    expect(node.transport.server).toBe(urlOf(b));
  });

  it('falls back to the configured servers (and the current one) while the Endpoints list none', async () => {
    const [a, b] = masters as [RunningApiServer, RunningApiServer];
    await setEndpoints([]);
    await expect.poll(() => node.transport.servers).toEqual([urlOf(a), urlOf(b)]);
    expect(node.transport.server).toBe(urlOf(b));
    // Only a list the cluster gave is saved.
    expect(loadSavedApiServers(dataDir, events)).toEqual([urlOf(b), urlOf(masters[2]!)]);
  });

  it('a restarted agent whose configured master is gone finds the cluster from the saved list', async () => {
    const [a] = masters as [RunningApiServer];
    const saved = loadSavedApiServers(dataDir, events);
    const restarted = new KubeClient({
      server: a.url,
      failoverServers: saved,
      ca: pki.ca.cert,
      ...pki.client('system:node:n1', ['system:nodes']),
    });
    const list = await restarted.list(resources.endpoints, { namespace: 'default' });
    expect(list.kind).toBe('EndpointsList');
    expect(restarted.transport.server).toBe(urlOf(masters[1]!));
    restarted.close();
  });

  it('ignores a malformed saved file with a warning', () => {
    writeFileSync(join(dataDir, API_SERVERS_FILE), '{"servers": "nope"');
    expect(loadSavedApiServers(dataDir, events)).toEqual([]);
    expect(events.codes()).toContain('agent.api-servers.file-ignored');
  });

  it('stops cleanly: no further changes are followed', async () => {
    const [, b, c] = masters as [RunningApiServer, RunningApiServer, RunningApiServer];
    await follower?.stop();
    follower = undefined;
    const before = node.transport.servers;
    await setEndpoints([c, b]);
    await new Promise((r) => setTimeout(r, 200));
    expect(node.transport.servers).toEqual(before);
  });
});
