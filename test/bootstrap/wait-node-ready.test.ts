import { createServer, type Server } from 'node:https';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitForNodeReady } from '../../src/bootstrap/wait-node-ready.js';
import { createCa, issueAdminCertificate, issueApiServerCertificate } from '../../src/pki/index.js';

const ca = createCa({ cluster: 'ready' });
const serving = issueApiServerCertificate(ca);
const admin = issueAdminCertificate(ca);
const node = (status: string, reason = 'AgentReady') => ({
  kind: 'Node',
  metadata: { name: 'w1' },
  status: { conditions: [{ type: 'Ready', status, reason, message: `agent says ${status}` }] },
});
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

/** What the fake API server does with watch number `n` (0-based). */
type Script = (n: number, res: import('node:http').ServerResponse) => void;

describe('waitForNodeReady (watch)', () => {
  let srv: Server;
  let server: string;
  let script: Script;
  let urls: string[] = [];
  let clientCNs: string[] = [];

  beforeAll(async () => {
    srv = createServer(
      {
        cert: serving.certPem,
        key: serving.keyPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        urls.push(req.url ?? '');
        clientCNs.push(String((req.socket as TLSSocket).getPeerCertificate()?.subject?.CN));
        script(urls.length - 1, res);
      },
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    server = `https://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    urls = [];
    clientCNs = [];
  });
  afterAll(async () => {
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  });
  const opts = { caPem: ca.certPem, certPem: admin.certPem, keyPem: admin.keyPem };

  it('returns as soon as the watch reports Ready=True, watching only that node as admin', async () => {
    script = (_n, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(line('ADDED', node('False', 'NetworkUnavailable')));
      setTimeout(() => res.write(line('MODIFIED', node('True'))), 50);
    };
    await waitForNodeReady('w1', { server, ...opts, timeoutMs: 10_000 });
    expect(urls).toHaveLength(1);
    const query = new URL(urls[0] ?? '', server).searchParams;
    expect(query.get('watch')).toBe('1');
    expect(query.get('fieldSelector')).toBe('metadata.name=w1');
    expect(clientCNs).toEqual(['admin']);
  });

  it('watches again when a watch ends or fails before the node is Ready', async () => {
    script = (n, res) => {
      if (n === 0) return void res.writeHead(503).end('starting');
      res.writeHead(200);
      if (n === 1) return void res.end(line('ADDED', node('Unknown')));
      res.write(line('ADDED', node('True')));
    };
    await waitForNodeReady('w1', { server, ...opts, timeoutMs: 10_000, intervalMs: 20 });
    expect(urls).toHaveLength(3);
  });

  it('goes on to the next master when the first refuses connections', async () => {
    // A port nothing listens on: connections to it are refused.
    const closed = createNetServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const down = `https://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    script = (n, res) => {
      res.writeHead(200);
      // The first watch ends before Ready: watching again goes through the same failover.
      if (n === 0) return void res.end(line('ADDED', node('False', 'AgentStarting')));
      res.write(line('ADDED', node('True')));
    };
    await waitForNodeReady('w1', {
      server: down,
      failoverServers: [server],
      ...opts,
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(urls).toHaveLength(2);
    expect(clientCNs).toEqual(['admin', 'admin']);
    // Without the other masters the same wait fails, saying why.
    await expect(
      waitForNodeReady('w1', { server: down, ...opts, timeoutMs: 300, intervalMs: 20 }),
    ).rejects.toThrow(/node w1 was not Ready within 300 ms \(last: .*ECONNREFUSED/);
  });

  it('fails after the timeout with the last state it saw', async () => {
    script = (_n, res) => {
      res.writeHead(200);
      res.write(line('ADDED', node('False', 'RuntimeUnavailable')));
    };
    await expect(
      waitForNodeReady('w1', { server, ...opts, timeoutMs: 1_500, watchMs: 200, intervalMs: 20 }),
    ).rejects.toThrow(
      /node w1 was not Ready within 1500 ms \(last: Ready=False \(RuntimeUnavailable agent says False\)\)/,
    );
    expect(urls.length).toBeGreaterThanOrEqual(1);
  });

  it('stops at once when aborted', async () => {
    script = (_n, res) => {
      res.writeHead(200);
      res.write(line('ADDED', node('False')));
    };
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    await expect(
      waitForNodeReady('w1', { server, ...opts, timeoutMs: 60_000, signal: abort.signal }),
    ).rejects.toThrow(/abort/i);
  });
});
