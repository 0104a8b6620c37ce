import { X509Certificate } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../../src/client/types.js';
import type { InstanceVerifier } from '../../../src/control-plane/controllers/instance-verifier.js';
import type { KubeObject } from '../../../src/kube/index.js';
import { buildCsrPem } from '../../../src/pki/csr.js';
import { generateKeyPair, loadCa, privateKeyToPem } from '../../../src/pki/index.js';
import { writeKubeconfig } from '../../support/api-server.js';
import { createBootstrapToken } from '../../support/bootstrap-token.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { type ControlCluster, runKubectl, startControlCluster } from '../../support/control-cluster.js';
import { waitFor } from '../../support/wait.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const CLIENT = 'kubernetes.io/kube-apiserver-client-kubelet';
type Csr = KubeObject & {
  spec: Record<string, unknown>;
  status?: { certificate?: string; conditions?: { type: string; reason?: string; message?: string }[] };
};

// The CSR approver and signer against the real API server, with bootstrap tokens, node client
// certificates and kubectl as the clients; the instance verifier is a stand-in whose answers the
// test sets (the EC2 one is tested against moto in test/aws/instance-verifier.test.ts).
describe('CSR approver and signer', () => {
  let pki: TestPki;
  let c: ControlCluster;
  const running = new Set<string>();
  const verifier: InstanceVerifier = {
    isRunningNode: async (name) => running.has(name),
    instanceState: async () => 'unknown',
  };
  const kubeconfig = (name: string, user: string) => {
    const file = join(pki.dir, name);
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters: [{name: t, cluster: {server: "${c.server.url}", certificate-authority-data: ${b64(pki.ca.cert)}}}]
users: [{name: u, user: ${user}}]
contexts: [{name: t, context: {cluster: t, user: u}}]
current-context: t
`,
    );
    return { PATH: process.env.PATH, HOME: pki.dir, KUBECONFIG: file };
  };
  let bootstrapEnv: NodeJS.ProcessEnv;
  let adminEnv: NodeJS.ProcessEnv;

  const submit = async (
    env: NodeJS.ProcessEnv,
    name: string,
    cn: string,
    opts: { signer?: string; usages?: string[]; san?: string[] } = {},
  ) => {
    const key = generateKeyPair().privateKey;
    const file = join(pki.dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name },
        spec: {
          request: b64(buildCsrPem(key, { commonName: cn, organizations: ['system:nodes'] }, opts.san ?? [])),
          signerName: opts.signer ?? CLIENT,
          usages: opts.usages ?? ['digital signature', 'client auth'],
          expirationSeconds: 3600,
        },
      }),
    );
    const r = await runKubectl(env, ['create', '-f', file]);
    expect(r.stderr).toBe('');
    return key;
  };
  const csr = (name: string) => c.api.get<Csr>(resources.certificateSigningRequests, undefined, name);
  const issued = (name: string) =>
    waitFor(async () => (await csr(name))?.status?.certificate, `a certificate for ${name}`);

  beforeAll(async () => {
    pki = makeTestPki();
    c = await startControlCluster(pki);
    await createBootstrapToken(c.api, 'csrtst');
    bootstrapEnv = kubeconfig('kc-boot', '{token: "csrtst.0123456789abcdef"}');
    adminEnv = {
      PATH: process.env.PATH,
      HOME: pki.dir,
      KUBECONFIG: writeKubeconfig(
        pki,
        c.server.url,
        pki.client('csr-admin', ['system:masters']),
        join(pki.dir, 'kc-admin'),
      ),
    };
    c.startLoops({ certificates: { ca: loadCa(pki.ca.cert, pki.ca.key), verifier } });
  });
  afterAll(async () => {
    await c?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('approves and signs a bootstrap request for a running instance; the node then authenticates with it', async () => {
    running.add('i-0running');
    const key = await submit(bootstrapEnv, 'node-csr-running', 'system:node:i-0running');
    const pem = Buffer.from(await issued('node-csr-running'), 'base64').toString();
    const got = await csr('node-csr-running');
    expect(got?.status?.conditions).toMatchObject([
      {
        type: 'Approved',
        reason: 'AutoApproved',
        message: 'Auto approving kubelet client certificate after SubjectAccessReview.',
      },
    ]);
    const cert = new X509Certificate(pem);
    expect(cert.verify(new X509Certificate(pki.ca.cert).publicKey)).toBe(true);
    expect(cert.subject).toContain('CN=system:node:i-0running');
    expect(cert.subject).toContain('O=system:nodes');
    expect(cert.checkPrivateKey(key)).toBe(true);
    const hours = (Date.parse(cert.validTo) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(0.9);
    expect(hours).toBeLessThanOrEqual(1.01);
    const nodeEnv = kubeconfig(
      'kc-node',
      `{client-certificate-data: ${b64(pem)}, client-key-data: ${b64(privateKeyToPem(key))}}`,
    );
    const who = await runKubectl(nodeEnv, ['auth', 'whoami', '-o', 'json']);
    expect(JSON.parse(who.stdout).status.userInfo.username).toBe('system:node:i-0running');

    // Its renewal is approved because the node asks for itself.
    await submit(nodeEnv, 'node-csr-renew', 'system:node:i-0running');
    await issued('node-csr-renew');
    expect((await csr('node-csr-renew'))?.status?.conditions?.[0]?.message).toBe(
      'Auto approving self kubelet client certificate after SubjectAccessReview.',
    );
    // A node may not renew for another node: it stays pending.
    await submit(nodeEnv, 'node-csr-other', 'system:node:i-0other');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await csr('node-csr-other'))?.status?.conditions).toBeUndefined();
  });

  it('leaves a request for an unknown instance pending until an admin approves it', async () => {
    await submit(bootstrapEnv, 'node-csr-stranger', 'system:node:i-0stranger');
    await new Promise((r) => setTimeout(r, 1_000));
    const table = await runKubectl(adminEnv, ['get', 'csr', 'node-csr-stranger']);
    expect(table.stdout).toMatch(/node-csr-stranger\s.*system:bootstrap:csrtst\s+60m\s+Pending/);
    expect((await runKubectl(adminEnv, ['certificate', 'approve', 'node-csr-stranger'])).code).toBe(0);
    await issued('node-csr-stranger');
    expect((await runKubectl(adminEnv, ['get', 'csr', 'node-csr-stranger'])).stdout).toMatch(
      /Approved,Issued/,
    );
  });

  it('fails an approved request the node signer cannot issue, and leaves other signers alone', async () => {
    running.add('i-0bad');
    await submit(adminEnv, 'node-csr-bad-usage', 'system:node:i-0bad', {
      usages: ['digital signature', 'server auth'],
    });
    expect((await runKubectl(adminEnv, ['certificate', 'approve', 'node-csr-bad-usage'])).code).toBe(0);
    const failed = await waitFor(
      async () => (await csr('node-csr-bad-usage'))?.status?.conditions?.find((x) => x.type === 'Failed'),
      'a Failed condition',
    );
    expect(failed).toMatchObject({
      reason: 'SignerValidationFailure',
      message: 'usages did not match [digital signature client auth]',
    });
    await submit(adminEnv, 'other-signer', 'system:node:i-0bad', { signer: 'example.com/someone-else' });
    expect((await runKubectl(adminEnv, ['certificate', 'approve', 'other-signer'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1_000));
    const other = await csr('other-signer');
    expect(other?.status?.certificate).toBeUndefined();
    expect(other?.status?.conditions?.map((x) => x.type)).toEqual(['Approved']);
  });
});
