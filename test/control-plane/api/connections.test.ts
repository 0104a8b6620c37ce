import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingEvents } from '../../../src/events.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { makeTestPki, type TestCert, type TestPki } from '../../support/certs.js';

// Issue #19, finding 7: connections that never send a request, slow bodies (also after a 401),
// idle keep-alive, and connections per client address are all bounded; watches are not.
let pki: TestPki;
let srv: RunningApiServer;
let admin: TestCert;
const events = new RecordingEvents();
const limits = {
  handshakeTimeoutMs: 600,
  headersTimeoutMs: 600,
  requestTimeoutMs: 1_200,
  keepAliveTimeoutMs: 600,
  maxConnectionsPerClient: 6,
  // The test's clients are on loopback, which is uncapped by default.
  exemptLoopback: false,
};

beforeAll(async () => {
  pki = makeTestPki();
  admin = pki.client('admin', ['system:masters']);
  srv = await startApiServer({
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    connections: limits,
    events,
  });
});
afterAll(async () => {
  await srv?.stop();
});

/** Resolves with how long until the server closed `socket` (or rejects after `maxMs`). */
function closedWithin(socket: net.Socket, maxMs: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${maxMs} ms`));
    }, maxMs);
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
  });
}

function tlsConnect(cert?: TestCert): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port: srv.port,
      ca: pki.ca.cert,
      ...cert,
      servername: 'localhost',
    });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

function collect(socket: net.Socket): { text: () => string } {
  let text = '';
  socket.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { text: () => text };
}

describe('connection timeouts', () => {
  it('cuts a TCP connection that never starts the TLS handshake', async () => {
    const s = net.connect(srv.port, '127.0.0.1');
    await expect(closedWithin(s, 5_000)).resolves.toBeGreaterThan(300);
  });

  it('cuts TLS connections that never send a request, with and without a client certificate', async () => {
    const [anon, withCert] = await Promise.all([tlsConnect(), tlsConnect(admin)]);
    await Promise.all([
      expect(closedWithin(anon, 5_000)).resolves.toBeGreaterThan(300),
      expect(closedWithin(withCert, 5_000)).resolves.toBeGreaterThan(300),
    ]);
  });

  it('answers 401 to a slow body without credentials and closes the connection at once', async () => {
    const s = await tlsConnect();
    const out = collect(s);
    s.write('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n');
    s.write('Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"metadata":');
    const trickle = setInterval(() => s.writable && s.write(' '), 50);
    const ms = await closedWithin(s, 1_000).finally(() => clearInterval(trickle));
    expect(ms).toBeLessThan(1_000);
    expect(out.text()).toMatch(/^HTTP\/1\.1 401/);
    expect(out.text()).toMatch(/connection: close/i);
  });

  it('answers 408 to an authenticated body that is too slow', async () => {
    const s = await tlsConnect(admin);
    const out = collect(s);
    s.write('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n');
    s.write('Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const trickle = setInterval(() => s.writable && s.write(' '), 100);
    await closedWithin(s, 4_000).finally(() => clearInterval(trickle));
    expect(out.text()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes an idle keep-alive connection after its timeout', async () => {
    const s = await tlsConnect(admin);
    const out = collect(s);
    s.write('GET /api/v1/namespaces/default HTTP/1.1\r\nHost: x\r\n\r\n');
    await expect(closedWithin(s, 5_000)).resolves.toBeGreaterThan(300);
    expect(out.text()).toMatch(/^HTTP\/1\.1 200/);
  });
});

describe('connections per client address', () => {
  it('refuses connections past the cap, tells the log once, and accepts again when one closes', async () => {
    const held = await Promise.all(
      Array.from({ length: limits.maxConnectionsPerClient }, () => tlsConnect(admin)),
    );
    // Keep them busy so the idle timeouts leave them alone: a watch each.
    for (const s of held)
      s.write('GET /api/v1/namespaces/default/configmaps?watch=true HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    await expect(tlsConnect(admin)).rejects.toThrow();
    await expect(tlsConnect(admin)).rejects.toThrow();
    expect(events.events.filter((e) => e.code === 'api.connection.refused')).toHaveLength(1);
    held.pop()!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await tlsConnect(admin);
    again.destroy();
    for (const s of held) s.destroy();
    // The server counts a connection down when it sees it close.
    await new Promise((r) => setTimeout(r, 200));
  });
});

describe('long-lived requests', () => {
  it('keeps a watch open past every timeout and still delivers events', async () => {
    const seen: string[] = [];
    const s = await tlsConnect(admin);
    s.on('data', (d: Buffer) => seen.push(d.toString()));
    s.write('GET /api/v1/namespaces/default/configmaps?watch=true HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(s.destroyed).toBe(false);
    const created = await fetchJson('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'after-timeouts' },
    });
    expect(created).toBe(201);
    for (let i = 0; i < 50 && !seen.join('').includes('after-timeouts'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(seen.join('')).toContain('"type":"ADDED"');
    expect(seen.join('')).toContain('after-timeouts');
    s.destroy();
  });
});

async function fetchJson(method: string, path: string, body: unknown): Promise<number> {
  const s = await tlsConnect(admin);
  const out = collect(s);
  const text = JSON.stringify(body);
  s.write(
    `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
  await closedWithin(s, 5_000);
  return Number(/^HTTP\/1\.1 (\d+)/.exec(out.text())?.[1]);
}
