import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningControlPlane, startControlPlane } from '../../../src/control-plane/main.js';
import { UsageError } from '../../../src/errors.js';
import { buildCsrPem } from '../../../src/pki/csr.js';
import { createCa, generateKeyPair } from '../../../src/pki/index.js';
import { writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { runKubectl } from '../../support/control-cluster.js';
import { signingControlPlaneOptions, writeTestFile } from '../../support/control-plane-files.js';
import { waitFor } from '../../support/wait.js';

// `tugboat control-plane --cluster-signing-cert-file/--cluster-signing-key-file` runs the CSR
// signer: an admin-approved node CSR gets a certificate from that CA.
describe('control plane with a signing CA', () => {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-cp-csr-${process.pid}-`));
  let pki: TestPki;
  let cp: RunningControlPlane;
  const file = (name: string, text: string) => writeTestFile(dir, name, text);

  beforeAll(async () => {
    pki = makeTestPki();
    cp = await startControlPlane(signingControlPlaneOptions(dir, pki));
  });
  afterAll(async () => {
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs an approved node client request (nothing is approved automatically without a cloud)', async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      KUBECONFIG: writeKubeconfig(pki, cp.url, pki.client('csr-admin', ['system:masters']), join(dir, 'kc')),
    };
    const request = buildCsrPem(generateKeyPair().privateKey, {
      commonName: 'system:node:w1',
      organizations: ['system:nodes'],
    });
    const manifest = file(
      'csr.json',
      JSON.stringify({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: 'w1' },
        spec: {
          request: Buffer.from(request).toString('base64'),
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'client auth'],
        },
      }),
    );
    expect((await runKubectl(env, ['create', '-f', manifest])).stderr).toBe('');
    await new Promise((r) => setTimeout(r, 500));
    expect((await runKubectl(env, ['get', 'csr', 'w1'])).stdout).toMatch(/Pending/);
    expect((await runKubectl(env, ['certificate', 'approve', 'w1'])).code).toBe(0);
    const b64 = await waitFor(async () => {
      const r = await runKubectl(env, ['get', 'csr', 'w1', '-o', 'jsonpath={.status.certificate}']);
      return r.stdout || undefined;
    }, 'the signed certificate');
    const cert = new X509Certificate(Buffer.from(b64, 'base64').toString());
    expect(cert.verify(new X509Certificate(pki.ca.cert).publicKey)).toBe(true);
  });

  it('refuses half a signing pair or a key of another CA', async () => {
    await expect(
      startControlPlane({
        dataDir: join(dir, 'x'),
        listen: '127.0.0.1:0',
        insecureLoopbackHttp: true,
        clusterSigningCertFile: join(dir, 'ca.crt'),
      }),
    ).rejects.toThrow(UsageError);
    await expect(
      startControlPlane({
        dataDir: join(dir, 'y'),
        listen: '127.0.0.1:0',
        insecureLoopbackHttp: true,
        clusterSigningCertFile: join(dir, 'ca.crt'),
        clusterSigningKeyFile: file('other.key', createCa({ cluster: 'other' }).keyPem),
      }),
    ).rejects.toThrow(/does not belong to CA/);
  });
});
