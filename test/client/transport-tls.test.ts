import { rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KubeClient, resources } from '../../src/client/index.js';
import { makeTestPki, type TestPki } from '../support/certs.js';

let pki: TestPki;
let other: TestPki;
let server: https.Server;
let url: string;
const seen: { cn?: string; auth?: string }[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  other = makeTestPki();
  const tls = pki.server;
  server = https.createServer(
    { ...tls, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seen.push({ cn: String(peer?.subject?.CN), auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ metadata: { name: 'n1' }, spec: {} }));
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(other.dir, { recursive: true, force: true });
});

it('presents a client certificate and trusts only the pinned CA', async () => {
  const client = new KubeClient({ server: url, ca: pki.ca.cert, ...pki.client('system:node:n1', []) });
  const node = await client.get(resources.nodes, 'n1');
  expect(node.metadata.name).toBe('n1');
  expect(seen.at(-1)?.cn).toBe('system:node:n1');
  client.close();

  const wrongCa = new KubeClient({ server: url, ca: other.ca.cert });
  await expect(wrongCa.get(resources.nodes, 'n1')).rejects.toThrow(
    /self.signed|unable to verify|certificate/i,
  );
  wrongCa.close();
});

it('sends a bearer token read on each request', async () => {
  let token = 'one';
  const client = new KubeClient({ server: url, ca: pki.ca.cert, token: () => token });
  await client.get(resources.nodes, 'n1');
  token = 'two';
  await client.get(resources.nodes, 'n1');
  expect(seen.slice(-2).map((s) => s.auth)).toEqual(['Bearer one', 'Bearer two']);
  client.close();
});
