/**
 * The userspace service proxy against a real API server on loopback: node ports served on
 * 127.0.0.1 by real listeners, relaying to real TCP endpoints on 127.0.0.2 and 127.0.0.3.
 */
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceProxy } from '../../../../src/agent/network/service-proxy/service-proxy.js';
import { UserspaceProxy } from '../../../../src/agent/network/userspace-proxy/userspace-proxy.js';
import { recordServiceEvent } from '../../../../src/agent/pod-events.js';
import { KubeClient } from '../../../../src/client/client.js';
import { resources } from '../../../../src/client/types.js';
import { RecordingEvents } from '../../../../src/events.js';
import type { EndpointSlice, KubeObject, Service } from '../../../../src/kube/index.js';
import { type RunningApiServer, startApiServer } from '../../../support/api-server.js';
import { endpointSlice, service } from '../service-proxy/fixtures.js';

let api: RunningApiServer;
let client: KubeClient;
let backend: UserspaceProxy;
let proxy: ServiceProxy;
const events = new RecordingEvents();
const endpoints: Server[] = [];
let targetPort = 0;
/** A node port per test run, so parallel runs on this machine do not meet. */
const nodePort = 30000 + (process.pid % 1300) * 2;
const takenPort = nodePort + 1;

/** A TCP server on `host` that writes `name` to every connection and closes it. */
async function nameServer(host: string, name: string, port: number): Promise<Server> {
  const server = createServer((s) => s.end(name));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Connects to 127.0.0.1:`port` and returns what it read, or `error:<code>`. */
function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      text += d;
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(`error:${err.code}`));
    s.on('close', () => resolve(text || 'closed'));
  });
}

/** Polls `probe` until it returns true, at most `tries` times 100 ms apart. */
async function until(probe: () => Promise<boolean> | boolean, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('UserspaceProxy against an API server', () => {
  beforeAll(async () => {
    const first = await nameServer('127.0.0.2', 'pod-1', 0);
    targetPort = (first.address() as { port: number }).port;
    endpoints.push(first, await nameServer('127.0.0.3', 'pod-2', targetPort));
    api = await startApiServer();
    client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
    const svc = service('web', '10.96.0.40', [{ name: 'http', port: 80, nodePort }], { type: 'NodePort' });
    await client.create<Service>(resources.services, svc, 'default');
    backend = new UserspaceProxy({
      host: '127.0.0.1',
      events,
      retryMs: 200,
      onPortUnavailable: (svc, message) =>
        void recordServiceEvent(
          client,
          svc,
          { type: 'Warning', reason: 'FailedToOpenNodePort', message },
          'n1',
        ),
    });
    proxy = new ServiceProxy({ client, backend, events, batchMs: 20 });
    await proxy.start();
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    client?.close();
    await api?.stop();
    for (const s of endpoints) s.close();
  });

  it('listens on the node port and resets connections while the Service has no endpoint', async () => {
    expect(backend.boundPorts()).toEqual([nodePort]);
    expect(await ask(nodePort)).toBe('error:ECONNRESET');
  });

  it('relays connections to both ready endpoints', async () => {
    await client.create<EndpointSlice>(
      resources.endpointSlices,
      endpointSlice('web', 'web-a', ['127.0.0.2', '127.0.0.3'], [{ name: 'http', port: targetPort }]),
      'default',
    );
    expect(await until(async () => (await ask(nodePort)).startsWith('pod-'))).toBe(true);
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask(nodePort)));
    expect(new Set(answers)).toEqual(new Set(['pod-1', 'pod-2']));
    expect(await until(() => backend.openConnections === 0)).toBe(true);
  }, 60_000);

  it('keeps a client on one endpoint with sessionAffinity ClientIP', async () => {
    const svc = await client.get<Service>(resources.services, 'web', 'default');
    (svc.spec as Record<string, unknown>).sessionAffinity = 'ClientIP';
    const synced = () => events.events.filter((e) => e.code === 'agent.service-proxy.synced').length;
    const before = synced();
    await client.update<Service>(resources.services, svc);
    expect(await until(() => synced() > before)).toBe(true);
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await ask(nodePort));
    expect(new Set(answers).size).toBe(1);
    const back = await client.get<Service>(resources.services, 'web', 'default');
    (back.spec as Record<string, unknown>).sessionAffinity = 'None';
    await client.update<Service>(resources.services, back);
  }, 60_000);

  it('closes connections at once when the Service scales to zero', async () => {
    const slice = await client.get<EndpointSlice>(resources.endpointSlices, 'web-a', 'default');
    slice.endpoints = [];
    await client.update<EndpointSlice>(resources.endpointSlices, slice);
    expect(await until(async () => (await ask(nodePort)) === 'error:ECONNRESET')).toBe(true);
    expect(backend.boundPorts()).toEqual([nodePort]);
  }, 60_000);

  it('reports a node port another process holds, keeps serving the rest and binds it once free', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(takenPort, '127.0.0.1', () => resolve()));
    const svc = service('busy', '10.96.0.41', [{ port: 80, nodePort: takenPort }], { type: 'NodePort' });
    await client.create<Service>(resources.services, svc, 'default');
    const reported = () =>
      events.events.some(
        (e) =>
          e.code === 'agent.service-proxy.port-unavailable' &&
          (e.data as { nodePort?: number } | undefined)?.nodePort === takenPort,
      );
    expect(await until(reported)).toBe(true);
    const warning = async () =>
      (
        await client.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>(
          resources.events,
          {
            namespace: 'default',
          },
        )
      ).items.some((e) => e.reason === 'FailedToOpenNodePort' && e.involvedObject?.name === 'busy');
    expect(await until(warning)).toBe(true);
    expect(backend.boundPorts()).toEqual([nodePort]);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    expect(await until(() => backend.boundPorts().includes(takenPort))).toBe(true);
    await client.delete(resources.services, 'busy', { namespace: 'default' });
  }, 60_000);

  it('closes the node port when the Service is deleted', async () => {
    await client.delete(resources.services, 'web', { namespace: 'default' });
    expect(await until(async () => (await ask(nodePort)) === 'error:ECONNREFUSED')).toBe(true);
    expect(await until(() => backend.boundPorts().length === 0)).toBe(true);
  }, 60_000);
});
