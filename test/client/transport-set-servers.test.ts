import { rmSync } from 'node:fs';
import type { RequestListener, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, resources } from '../../src/client/index.js';
import { MAX_SERVERS, Transport } from '../../src/client/transport.js';
import { makeTestPki, type TestPki } from '../support/certs.js';

// Real TLS servers on 127.0.0.1: `right` serves a certificate of the pinned CA, `wrong` one of
// another CA (a master's old address now serving someone else's certificate).
let pki: TestPki;
let other: TestPki;
const servers: https.Server[] = [];
let right: string;
let wrong: string;
let slow: string;
const hits = { right: 0, wrong: 0 };
let releaseSlow: () => void = () => {};
let streamRes: ServerResponse | undefined;
let streaming: string;

async function serve(tls: { cert: string; key: string }, handler: RequestListener): Promise<string> {
  const s = https.createServer(tls, handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const node = (res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ metadata: { name: 'n1' } }));
};

beforeAll(async () => {
  pki = makeTestPki();
  other = makeTestPki();
  right = await serve(pki.server, (_req, res) => {
    hits.right++;
    node(res);
  });
  wrong = await serve(other.server, (_req, res) => {
    hits.wrong++;
    node(res);
  });
  // A watch-like stream the test writes lines into.
  streaming = await serve(pki.server, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"n":1}\n');
    streamRes = res;
  });
  // Answers only when released: a request in flight while the server list changes.
  slow = await serve(pki.server, (_req, res) => {
    releaseSlow = () => node(res);
  });
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(other.dir, { recursive: true, force: true });
});

describe('Transport.setServers', () => {
  it('replaces the list, dedupes, and keeps the current server when still listed', () => {
    const t = new Transport({ server: 'https://10.0.0.1:6443', failoverServers: ['https://10.0.0.1:6443/'] });
    expect(t.servers).toEqual(['https://10.0.0.1:6443/']);
    const r = t.setServers(['https://10.0.0.2:6443', 'https://10.0.0.1:6443', 'https://10.0.0.2:6443/']);
    expect(r).toEqual({ applied: true, rejected: [] });
    expect(t.servers).toEqual(['https://10.0.0.2:6443/', 'https://10.0.0.1:6443/']);
    expect(t.server).toBe('https://10.0.0.1:6443/');
    t.setServers(['https://10.0.0.3:6443', 'https://10.0.0.4:6443']);
    expect(t.server).toBe('https://10.0.0.3:6443/');
    t.close();
  });

  it('puts fallback servers last and moves the current server off one listed only there', () => {
    const t = new Transport({ server: 'https://10.0.0.1:6443' });
    t.setServers(
      ['https://10.0.0.2:6443', 'https://10.0.0.3:6443'],
      ['https://10.0.0.1:6443', 'https://10.0.0.3:6443'],
    );
    expect(t.servers).toEqual(['https://10.0.0.2:6443/', 'https://10.0.0.3:6443/', 'https://10.0.0.1:6443/']);
    // 10.0.0.1 was current, but the primary list no longer names it: the first listed one takes over.
    expect(t.server).toBe('https://10.0.0.2:6443/');
    t.setServers(['https://10.0.0.3:6443', 'https://10.0.0.2:6443'], ['https://10.0.0.1:6443']);
    expect(t.server).toBe('https://10.0.0.2:6443/');
    // The cap counts the fallback too, primary servers first.
    t.setServers(
      Array.from({ length: MAX_SERVERS }, (_, i) => `https://10.0.1.${i}:6443`),
      ['https://10.0.0.1:6443'],
    );
    expect(t.servers).toHaveLength(MAX_SERVERS);
    expect(t.servers).not.toContain('https://10.0.0.1:6443/');
    t.close();
  });

  it('ignores an empty or wholly invalid list, drops invalid entries, and caps the list', () => {
    const t = new Transport({ server: 'https://10.0.0.1:6443' });
    expect(t.setServers([])).toEqual({ applied: false, rejected: [] });
    const bad = t.setServers(['http://10.0.0.9:6443', 'not a url', 'ftp://10.0.0.9']);
    expect(bad.applied).toBe(false);
    expect(bad.rejected).toHaveLength(3);
    expect(bad.rejected[0]).toMatch(/refusing plain http to http:\/\/10\.0\.0\.9:6443/);
    expect(t.servers).toEqual(['https://10.0.0.1:6443/']);
    const mixed = t.setServers(['http://10.0.0.9:6443', 'https://10.0.0.5:6443']);
    expect(mixed.applied).toBe(true);
    expect(mixed.rejected).toHaveLength(1);
    expect(t.servers).toEqual(['https://10.0.0.5:6443/']);
    t.setServers(Array.from({ length: 40 }, (_, i) => `https://10.0.1.${i}:6443`));
    expect(t.servers).toHaveLength(MAX_SERVERS);
    expect(t.servers[0]).toBe('https://10.0.1.0:6443/');
    t.close();
  });

  it('allows plain http to loopback only when the transport does', () => {
    const t = new Transport({ server: 'http://127.0.0.1:1', allowInsecureLoopback: true });
    expect(t.setServers(['http://127.0.0.2:2', 'http://10.0.0.1:2']).rejected).toHaveLength(1);
    expect(t.servers).toEqual(['http://127.0.0.2:2/']);
    t.close();
  });

  it('lets a request in flight finish on a server that was dropped', async () => {
    const client = new KubeClient({ server: slow, ca: pki.ca.cert });
    const pending = client.get(resources.nodes, 'n1');
    // Wait until the slow server holds the request, then drop it from the list.
    let held = false;
    const release = releaseSlow;
    await expect.poll(() => (held = releaseSlow !== release)).toBe(true);
    expect(held).toBe(true);
    client.transport.setServers([right]);
    releaseSlow();
    await expect(pending).resolves.toMatchObject({ metadata: { name: 'n1' } });
    await client.get(resources.nodes, 'n1');
    expect(client.transport.server).toBe(`${right}/`);
    client.close();
  });
});

describe('Transport.setServers and an open stream', () => {
  it('keeps the stream of a dropped server open until it ends', async () => {
    const t = new Transport({ server: streaming, ca: pki.ca.cert });
    const res = await t.stream({ method: 'GET', path: '/api/v1/pods?watch=true' });
    const chunks: string[] = [];
    res.on('data', (c: Buffer) => chunks.push(c.toString()));
    const ended = new Promise((r) => res.once('end', r));
    await expect.poll(() => chunks.join('')).toBe('{"n":1}\n');
    expect(t.setServers([right]).applied).toBe(true);
    streamRes!.write('{"n":2}\n');
    await expect.poll(() => chunks.join('')).toBe('{"n":1}\n{"n":2}\n');
    streamRes!.end();
    await ended;
    expect(t.server).toBe(`${right}/`);
    t.close();
  });
});

describe('Transport failover on a certificate that fails verification', () => {
  it('moves on to the next server and never sends the request to the bad one', async () => {
    const before = { ...hits };
    const client = new KubeClient({ server: wrong, failoverServers: [right], ca: pki.ca.cert });
    const got = await client.get(resources.nodes, 'n1');
    expect(got.metadata.name).toBe('n1');
    expect(client.transport.server).toBe(`${right}/`);
    expect(hits.wrong).toBe(before.wrong);
    expect(hits.right).toBe(before.right + 1);
    client.close();
  });

  it("moves on when the certificate is the cluster CA's but does not name the address", async () => {
    // The test certificate names 127.0.0.1 only; 127.0.0.2 is loopback too.
    const s = https.createServer(pki.server, (_req, res) => node(res));
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.2', r));
    const misnamed = `https://127.0.0.2:${(s.address() as AddressInfo).port}`;
    const alone = new KubeClient({ server: misnamed, ca: pki.ca.cert });
    await expect(alone.get(resources.nodes, 'n1')).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    alone.close();
    const client = new KubeClient({ server: misnamed, failoverServers: [right], ca: pki.ca.cert });
    await expect(client.get(resources.nodes, 'n1')).resolves.toMatchObject({ metadata: { name: 'n1' } });
    expect(client.transport.server).toBe(`${right}/`);
    client.close();
  });

  it('still refuses the certificate when no other server is left', async () => {
    const client = new KubeClient({ server: wrong, ca: pki.ca.cert });
    await expect(client.get(resources.nodes, 'n1')).rejects.toThrow(/certificate|self.signed|verify/i);
    client.close();
  });
});
