import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCa,
  type IssuedCertificate,
  issueAdminCertificate,
  issueApiServerCertificate,
  issueNodeCertificate,
} from '../../src/pki/index.js';

const ca = createCa({ cluster: 'tls' });
const server = issueApiServerCertificate(ca, { altNames: ['api.tls.test'] });
const admin = issueAdminCertificate(ca);
const node = issueNodeCertificate(ca, { nodeName: 'w1' });

/** GET / with a client certificate; resolves the status and body, or rejects with the TLS error. */
function get(
  port: number,
  client: IssuedCertificate | undefined,
  opts: { ca?: string; servername?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        ca: opts.ca ?? ca.certPem,
        cert: client?.certPem,
        key: client?.keyPem,
        servername: opts.servername,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('certificates in real TLS', () => {
  let srv: Server;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `tugboat-pki-${process.pid}-`));
    srv = createServer(
      {
        cert: server.certPem,
        key: server.keyPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const socket = req.socket as import('node:tls').TLSSocket;
        if (!socket.authorized) {
          res.writeHead(401).end(String(socket.authorizationError));
          return;
        }
        const peer = socket.getPeerCertificate();
        res.writeHead(200).end(`${peer.subject.CN}|${[peer.subject.O].flat().join(',')}`);
      },
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    port = (srv.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => srv?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('mutual TLS: the server sees the admin user and its group', async () => {
    await expect(get(port, admin)).resolves.toEqual({ status: 200, body: 'admin|system:masters' });
    await expect(get(port, node)).resolves.toEqual({ status: 200, body: 'node:w1|tugboat:nodes' });
  });

  it('verifies the server by IP SAN and by DNS SAN', async () => {
    await expect(get(port, admin, { servername: 'api.tls.test' })).resolves.toMatchObject({ status: 200 });
    await expect(get(port, admin, { servername: 'not-in-san.test' })).rejects.toThrow(/altnames/i);
  });

  it('a client trusting another CA refuses the server', async () => {
    const other = createCa({ cluster: 'other' });
    await expect(get(port, admin, { ca: other.certPem })).rejects.toThrow(/self[- ]signed|unable to verify/i);
  });

  it('a client certificate from another CA is not authorized', async () => {
    const other = createCa({ cluster: 'other' });
    const stranger = issueAdminCertificate(other);
    const res = await get(port, stranger);
    expect(res.status).toBe(401);
  });

  it('openssl verify accepts the chain with the right purpose and rejects the wrong one', () => {
    const caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, ca.certPem);
    writeFileSync(join(dir, 'server.crt'), server.certPem);
    writeFileSync(join(dir, 'admin.crt'), admin.certPem);
    const verify = (file: string, purpose: string) =>
      execFileSync('openssl', ['verify', '-CAfile', caFile, '-purpose', purpose, join(dir, file)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    expect(verify('server.crt', 'sslserver')).toContain(': OK');
    expect(verify('admin.crt', 'sslclient')).toContain(': OK');
    expect(() => verify('admin.crt', 'sslserver')).toThrow(
      /unsuitable certificate purpose|unsupported certificate purpose/,
    );
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, 'server.crt')], {
      encoding: 'utf8',
    });
    expect(text).toContain('ecdsa-with-SHA256');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toContain('X509v3 Authority Key Identifier');
  });
});
