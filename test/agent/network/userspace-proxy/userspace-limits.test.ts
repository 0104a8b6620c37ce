/**
 * The userspace proxy's bounds on real loopback sockets: the connection cap resets what is over
 * it, an idle relayed connection is closed, and an endpoint that refuses is skipped for one that
 * answers.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicePortsOf } from '../../../../src/agent/network/service-proxy/model.js';
import { UserspaceProxy } from '../../../../src/agent/network/userspace-proxy/userspace-proxy.js';
import { endpointSlice, service } from '../service-proxy/fixtures.js';

let nodePort = 0;
let echo: Server;
let echoPort = 0;
let refusedPort = 0;
const proxy = new UserspaceProxy({ host: '127.0.0.1', maxConnections: 1, idleTimeoutMs: 500 });

/** Opens a client to the node port; resolves once connected, with the socket. */
function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(nodePort, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with how the socket ended: `error:<code>` or `closed`. */
function ended(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    s.once('error', (err: NodeJS.ErrnoException) => resolve(`error:${err.code}`));
    s.once('close', () => resolve('closed'));
  });
}

beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.2', () => resolve()));
  echoPort = (echo.address() as { port: number }).port;
  // A port nothing listens on: bind, note it, close.
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.3', () => resolve()));
  refusedPort = (gone.address() as { port: number }).port;
  await new Promise<void>((resolve) => gone.close(() => resolve()));
  // A free loopback port for the proxy's listener.
  const free = createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', () => resolve()));
  nodePort = (free.address() as { port: number }).port;
  await new Promise<void>((resolve) => free.close(() => resolve()));
});

afterAll(async () => {
  await proxy.close();
  echo.close();
});

describe('UserspaceProxy bounds', () => {
  it('skips an endpoint that refuses, caps connections and closes idle ones', async () => {
    const svc = service('echo', '10.96.0.50', [{ port: 7, nodePort }], { type: 'NodePort' });
    const slices = [
      endpointSlice('echo', 'echo-a', ['127.0.0.2'], [{ port: echoPort }]),
      endpointSlice('echo', 'echo-b', ['127.0.0.3'], [{ port: refusedPort }]),
    ];
    await proxy.sync(servicePortsOf(svc, slices));
    expect(proxy.boundPorts()).toEqual([nodePort]);
    // Whichever endpoint is picked first, the refusing one is skipped: the echo answers.
    const first = await open();
    const firstEnd = ended(first);
    const echoed = new Promise<string>((resolve) => first.once('data', (d) => resolve(String(d))));
    first.write('ping');
    expect(await echoed).toBe('ping');
    expect(proxy.openConnections).toBe(1);
    // Over the cap of 1: reset at once.
    expect(await ended(connect(nodePort, '127.0.0.1'))).toBe('error:ECONNRESET');
    // No bytes for 500 ms: the proxy closes the first.
    expect(await firstEnd).toBe('closed');
    for (let i = 0; i < 50 && proxy.openConnections > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(proxy.openConnections).toBe(0);
  }, 30_000);
});
