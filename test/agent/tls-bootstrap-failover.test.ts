import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentServer } from '../../src/agent/server/agent-server.js';
import { bootstrapServingCertificate } from '../../src/agent/serving-bootstrap.js';
import { requestNodeClientCertificate } from '../../src/agent/tls-bootstrap.js';
import { type Node, resources } from '../../src/client/index.js';
import { RecordingEvents } from '../../src/events.js';
import { loadCa } from '../../src/pki/index.js';
import { freePort } from '../harness/process.js';
import { createBootstrapToken } from '../support/bootstrap-token.js';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { type ControlCluster, startControlCluster } from '../support/control-cluster.js';

// The TLS bootstrap with several masters: the first configured one is down (a closed loopback
// port) or is not the cluster's (a certificate from another CA), a later one is a real API server
// with the CSR approver and signer. Both certificates are issued through the one that serves, and
// the server the CA does not vouch for never receives a request (nor the token).
const node = 'i-0failover';
const token = 'agtfov.0123456789abcdef';
let pki: TestPki;
let otherPki: TestPki;
let c: ControlCluster;
let closedA: string;
let closedB: string;
let stranger: https.Server;
let strangerUrl: string;
let strangerRequests = 0;

/** An https:// URL of a loopback port nothing listens on (a master that is down). */
const closedUrl = async () => `https://127.0.0.1:${await freePort()}`;

const clientCertFile = () => join(pki.dir, 'node', 'client.crt');
const clientKeyFile = () => join(pki.dir, 'node', 'client.key');

beforeAll(async () => {
  pki = makeTestPki();
  otherPki = makeTestPki();
  writeFileSync(join(pki.dir, 'ca.crt'), pki.ca.cert);
  c = await startControlCluster(pki);
  await createBootstrapToken(c.api, 'agtfov');
  c.startLoops({
    certificates: {
      ca: loadCa(pki.ca.cert, pki.ca.key),
      verifier: { isRunningNode: async (n) => n === node, instanceState: async () => 'unknown' },
    },
  });
  closedA = await closedUrl();
  closedB = await closedUrl();
  // An API server address now held by something with a certificate of another CA.
  stranger = https.createServer({ cert: otherPki.server.cert, key: otherPki.server.key }, (_req, res) => {
    strangerRequests++;
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => stranger.listen(0, '127.0.0.1', r));
  strangerUrl = `https://127.0.0.1:${(stranger.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => (stranger ? stranger.close(() => r()) : r()));
  await c?.stop();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
  if (otherPki) rmSync(otherPki.dir, { recursive: true, force: true });
});

const clientRequest = (server: string, failoverServers: string[], certFile: string, keyFile: string) =>
  requestNodeClientCertificate({
    server,
    failoverServers,
    ca: pki.ca.cert,
    token,
    nodeName: node,
    certFile,
    keyFile,
    pollMs: 100,
    timeoutMs: 20_000,
  });

describe('agent TLS bootstrap with failover', () => {
  it('gets the client certificate from the second master when the first is down', async () => {
    const pem = await clientRequest(closedA, [c.server.url], clientCertFile(), clientKeyFile());
    const cert = new X509Certificate(readFileSync(clientCertFile()));
    expect(cert.toString()).toBe(new X509Certificate(pem).toString());
    expect(cert.subject).toContain(`CN=system:node:${node}`);
    expect(cert.verify(new X509Certificate(pki.ca.cert).publicKey)).toBe(true);
  });

  it('passes over a server whose certificate is from another CA without sending it anything', async () => {
    const certFile = join(pki.dir, 'node', 'second.crt');
    await clientRequest(strangerUrl, [c.server.url], certFile, join(pki.dir, 'node', 'second.key'));
    expect(new X509Certificate(readFileSync(certFile)).subject).toContain(`CN=system:node:${node}`);
    expect(strangerRequests).toBe(0);
  });

  it('with every server down or unverified: one clear error naming them all, and no files', async () => {
    const certFile = join(pki.dir, 'node', 'none.crt');
    const err = await clientRequest(
      closedA,
      [closedB, strangerUrl],
      certFile,
      join(pki.dir, 'none.key'),
    ).catch((e: unknown) => e as NodeJS.ErrnoException);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toMatch(/^no API server could be reached for the certificate request \(tried /);
    for (const s of [closedA, closedB, strangerUrl]) expect(message).toContain(s);
    expect(existsSync(certFile)).toBe(false);
    expect(strangerRequests).toBe(0);
  });

  it('asks for the serving certificate through the servers the getter gives at each request', async () => {
    const created = await c.client.create<Node>(resources.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: node },
    } as Node);
    await c.client.updateStatus<Node>(resources.nodes, {
      ...created,
      status: { addresses: [{ type: 'InternalIP', address: '10.0.1.7' }] },
    } as Node);
    // The first request sees a list whose only server is not the cluster's (a stale list); by
    // the next one the list has the down master first, then the real one.
    const lists = [[strangerUrl], [closedA, c.server.url]];
    const asked: string[][] = [];
    const servers = () => {
      const list = lists[Math.min(asked.length, lists.length - 1)]!;
      asked.push(list);
      return list;
    };
    let served: string | undefined;
    const agentServer = {
      setServingCertificate: (cert: string) => {
        served = cert;
      },
    } as unknown as AgentServer;
    const events = new RecordingEvents();
    const certFile = join(pki.dir, 'node', 'serving.crt');
    await bootstrapServingCertificate({
      servers,
      caFile: join(pki.dir, 'ca.crt'),
      clientCertFile: clientCertFile(),
      clientKeyFile: clientKeyFile(),
      nodeName: node,
      addresses: ['10.0.1.7'],
      certFile,
      keyFile: join(pki.dir, 'node', 'serving.key'),
      agentServer,
      events,
      signal: new AbortController().signal,
      attemptMs: 20_000,
      retryMs: 50,
    });
    expect(asked).toEqual(lists);
    const cert = new X509Certificate(readFileSync(certFile));
    expect(served).toBe(readFileSync(certFile, 'utf8'));
    expect(cert.subject).toContain(`CN=system:node:${node}`);
    expect(cert.subjectAltName).toBe('IP Address:10.0.1.7');
    const codes = events.events.map((e) => e.code);
    expect(codes).toEqual([
      'agent.serving-bootstrap.requesting',
      'agent.serving-bootstrap.failed',
      'agent.serving-bootstrap.requesting',
      'agent.serving-bootstrap.issued',
    ]);
    expect(events.events[1]?.message).toContain(
      `no API server could be reached for the certificate request (tried ${strangerUrl}`,
    );
    expect(strangerRequests).toBe(0);
  });
});
