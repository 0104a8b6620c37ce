import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { tlsCaller } from '../../support/tls-call.js';
import { waitFor } from '../../support/wait.js';

// The API server's TLS for clients without signature_algorithms (src/net/legacy-tls.ts): busybox's
// own TLS, as `wget` in a busybox pod uses it, reaches the API with a bearer token, while clients
// that announce their signature algorithms keep the main settings (TLS 1.3, or TLS 1.2 with
// SHA-256 signatures) and cannot be talked down to SHA-1.

const ADMIN_TOKEN = 'legacy-tls-admin-token-0123456789';
const NOBODY_TOKEN = 'legacy-tls-nobody-token-0123456789';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

let pki: TestPki;
let srv: RunningApiServer;

/** busybox `wget` with no openssl on PATH, so it uses its own TLS (as in a busybox image). */
const busyboxGet = (path: string, token: string) =>
  run(
    '/usr/bin/busybox',
    ['wget', '-q', '-O', '-', '--header', `Authorization: Bearer ${token}`, `${srv.url}${path}`],
    { PATH: '/nonexistent' },
  );

/** `openssl s_client` against the server; its report of the session. */
const sClient = (args: readonly string[]) =>
  run('openssl', ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-servername', 'localhost', ...args], {
    PATH: process.env.PATH,
  });

beforeAll(async () => {
  pki = makeTestPki();
  srv = await startApiServer({
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    tokens: new Map([
      [ADMIN_TOKEN, { name: 'legacy-admin', groups: ['system:masters'] }],
      [NOBODY_TOKEN, { name: 'legacy-nobody', groups: [] }],
    ]),
    connections: { handshakeTimeoutMs: 1_000 },
  });
});

afterAll(async () => {
  await srv?.stop();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

describe('busybox wget (its own TLS: TLS 1.2, no signature_algorithms)', () => {
  it('lists pods with a token that may', async () => {
    const r = await busyboxGet('/api/v1/namespaces/default/pods', ADMIN_TOKEN);
    expect(r.stderr).not.toMatch(/handshake|TLS error/);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'PodList', apiVersion: 'v1', items: [] });
  });

  it('is forbidden (403) with a token that may not, and unauthorized (401) with an unknown one', async () => {
    const forbidden = await busyboxGet('/api/v1/namespaces/default/pods', NOBODY_TOKEN);
    expect(forbidden.code).not.toBe(0);
    expect(forbidden.stderr).toContain('403 Forbidden');
    const unknown = await busyboxGet('/api/v1/namespaces/default/pods', 'no-such-token-0123456789');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('401 Unauthorized');
  });
});

describe('clients that announce their signature algorithms keep the main settings', () => {
  it('a default client negotiates TLS 1.3 with the ECDSA certificate', async () => {
    const r = await sClient([]);
    expect(r.stdout).toMatch(/New, TLSv1\.3, Cipher is TLS_/);
    expect(r.stdout).toContain('Peer signature type: ECDSA');
    expect(r.stdout).toContain('Server public key is 256 bit');
  });

  it('a TLS 1.2 client gets ECDHE-ECDSA signed with SHA-256', async () => {
    const r = await sClient(['-tls1_2']);
    expect(r.stdout).toMatch(/New, TLSv1\.2, Cipher is ECDHE-ECDSA-/);
    expect(r.stdout).toContain('Peer signing digest: SHA256');
  });

  it('a TLS 1.2 client offering only SHA-1 signatures is refused, not served the legacy settings', async () => {
    const r = await sClient(['-tls1_2', '-sigalgs', 'ECDSA+SHA1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/handshake failure|alert/);
  });

  it('client certificates still authenticate on the main settings', async () => {
    const call = tlsCaller(
      () => srv.url,
      () => pki.ca.cert,
    );
    const r = await call('GET', '/api/v1/namespaces/default/pods', {
      cert: pki.client('legacy-cert-admin', ['system:masters']),
    });
    expect(r.status).toBe(200);
  });
});

/**
 * A loopback proxy to the API server that passes the client's first `slowBytes` bytes on one at a
 * time (each its own TCP segment), then the rest as it comes: a ClientHello split across reads.
 */
async function startDribbleProxy(slowBytes: number): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(srv.port, '127.0.0.1');
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    let sent = 0;
    let queue = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      queue = queue.then(async () => {
        for (const byte of chunk) {
          upstream.write(Buffer.from([byte]));
          if (++sent <= slowBytes) await new Promise((r) => setTimeout(r, 2));
        }
      });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      proxy.close();
    },
  };
}

describe('a ClientHello that arrives byte by byte', () => {
  it('still sends busybox to the legacy settings and other clients to the main ones', async () => {
    const proxy = await startDribbleProxy(120);
    try {
      const url = `https://127.0.0.1:${proxy.port}/api/v1/namespaces/default/pods`;
      const bb = await run(
        '/usr/bin/busybox',
        ['wget', '-q', '-O', '-', '--header', `Authorization: Bearer ${ADMIN_TOKEN}`, url],
        { PATH: '/nonexistent' },
      );
      expect(bb.code, bb.stderr).toBe(0);
      expect(JSON.parse(bb.stdout)).toMatchObject({ kind: 'PodList' });
      const modern = await run(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${proxy.port}`, '-servername', 'localhost', '-tls1_2'],
        { PATH: process.env.PATH },
      );
      expect(modern.stdout).toContain('Peer signing digest: SHA256');
    } finally {
      proxy.close();
    }
  });
});

describe('connections that never send a ClientHello', () => {
  it('plain HTTP on the TLS port gets no answer from the API', async () => {
    const got = await new Promise<string>((resolve) => {
      const s = net.connect(srv.port, '127.0.0.1', () => s.write('GET /api HTTP/1.1\r\nHost: x\r\n\r\n'));
      let text = '';
      s.on('data', (d: Buffer) => {
        text += d.toString('latin1');
      });
      s.on('error', () => {});
      s.on('close', () => resolve(text));
    });
    expect(got).not.toContain('APIVersions');
  });

  it('a silent connection is closed after the handshake timeout', async () => {
    const s = net.connect(srv.port, '127.0.0.1');
    s.on('error', () => {});
    let closed = false;
    s.on('close', () => {
      closed = true;
    });
    await waitFor(() => closed, 'the server to close a silent connection', 60_000, 100);
    expect(closed).toBe(true);
  });
});
