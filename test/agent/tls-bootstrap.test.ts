import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestNodeClientCertificate } from '../../src/agent/tls-bootstrap.js';
import { loadCa } from '../../src/pki/index.js';
import { createBootstrapToken } from '../support/bootstrap-token.js';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { type ControlCluster, startControlCluster } from '../support/control-cluster.js';

// The agent's TLS bootstrap against the real API server and CSR controllers.
describe('agent TLS bootstrap', () => {
  let pki: TestPki;
  let c: ControlCluster;
  beforeAll(async () => {
    pki = makeTestPki();
    c = await startControlCluster(pki);
    await createBootstrapToken(c.api, 'agtbts');
    c.startLoops({
      certificates: {
        ca: loadCa(pki.ca.cert, pki.ca.key),
        verifier: { isRunningNode: async (n) => n === 'i-0agent', instanceState: async () => 'unknown' },
      },
    });
  });
  afterAll(async () => {
    await c?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('gets a node client certificate for a key made on the host and writes both 0600', async () => {
    const certFile = join(pki.dir, 'node', 'agent.crt');
    const keyFile = join(pki.dir, 'node', 'agent.key');
    const pem = await requestNodeClientCertificate({
      server: c.server.url,
      ca: pki.ca.cert,
      token: 'agtbts.0123456789abcdef',
      nodeName: 'i-0agent',
      certFile,
      keyFile,
      pollMs: 100,
      timeoutMs: 20_000,
    });
    const cert = new X509Certificate(readFileSync(certFile));
    expect(cert.toString()).toBe(new X509Certificate(pem).toString());
    expect(cert.subject).toContain('CN=system:node:i-0agent');
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(keyFile)))).toBe(true);
    expect(statSync(certFile).mode & 0o777).toBe(0o600);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it('says how to approve by hand when no one approves in time', async () => {
    await expect(
      requestNodeClientCertificate({
        server: c.server.url,
        ca: pki.ca.cert,
        token: 'agtbts.0123456789abcdef',
        nodeName: 'i-0stranger',
        certFile: join(pki.dir, 'x.crt'),
        keyFile: join(pki.dir, 'x.key'),
        pollMs: 100,
        timeoutMs: 1_500,
      }),
    ).rejects.toThrow(/was not approved in time: approve it with kubectl certificate approve node-csr-/);
  });
});
