import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForHealthy } from '../../src/bootstrap/wait-healthy.js';
import { createCa, issueAdminCertificate, issueApiServerCertificate } from '../../src/pki/index.js';

const ca = createCa({ cluster: 'health' });
const serving = issueApiServerCertificate(ca);
const admin = issueAdminCertificate(ca);

describe('waitForHealthy', () => {
  let srv: Server;
  let url: string;
  let requests = 0;
  let clientCNs: string[] = [];

  beforeAll(async () => {
    srv = createServer(
      {
        cert: serving.certPem,
        key: serving.keyPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        requests++;
        const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
        if (peer?.subject?.CN) clientCNs.push(String(peer.subject.CN));
        if (requests < 3) res.writeHead(503).end('etcd not ready');
        else res.writeHead(200).end('ok');
      },
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(srv.address() as AddressInfo).port}/readyz`;
  });
  afterAll(async () => {
    await new Promise((r) => srv?.close(r));
  });

  it('polls until the endpoint answers 200, presenting the client certificate', async () => {
    await waitForHealthy(url, {
      caPem: ca.certPem,
      certPem: admin.certPem,
      keyPem: admin.keyPem,
      intervalMs: 50,
    });
    expect(requests).toBe(3);
    expect(clientCNs).toContain('admin');
  });

  it('does not trust a server signed by another CA, and says what it saw last', async () => {
    const other = createCa({ cluster: 'other' });
    await expect(
      waitForHealthy(url, { caPem: other.certPem, timeoutMs: 300, intervalMs: 50 }),
    ).rejects.toThrow(/was not healthy within 300 ms \(last: .*(self[- ]signed|unable to verify)/i);
  });

  it('reports the last HTTP status when the endpoint never becomes healthy', async () => {
    requests = -1_000;
    await expect(waitForHealthy(url, { caPem: ca.certPem, timeoutMs: 200, intervalMs: 50 })).rejects.toThrow(
      /last: HTTP 503: etcd not ready/,
    );
    clientCNs = [];
  });

  it('refuses plain http', async () => {
    await expect(waitForHealthy('http://127.0.0.1:1/healthz', { caPem: ca.certPem })).rejects.toThrow(
      /must be https/,
    );
  });
});
