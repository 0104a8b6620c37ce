import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/client/client.js';
import { resources } from '../../../src/client/types.js';
import type { ControllerApi } from '../../../src/control-plane/machinery/api.js';
import { clientControllerApi } from '../../../src/control-plane/machinery/client-api.js';
import type { KubeObject } from '../../../src/kube/index.js';
import { buildCsrPem } from '../../../src/pki/csr.js';
import { generateKeyPair } from '../../../src/pki/index.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { adminClient, runKubectl } from '../../support/control-cluster.js';
import { waitFor } from '../../support/wait.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function tokenSecret(
  id: string,
  secret: string,
  extra: Record<string, string> = {},
): KubeObject & { type: string; stringData: Record<string, string> } {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    stringData: {
      'token-id': id,
      'token-secret': secret,
      'usage-bootstrap-authentication': 'true',
      ...extra,
    },
  };
}

// Bootstrap tokens against the real API server over TLS, with kubectl as the client.
describe('bootstrap token authentication', () => {
  let pki: TestPki;
  let srv: RunningApiServer;
  let admin: KubeClient;
  let api: ControllerApi;
  const kubectlWith = (token: string, ...args: string[]) => {
    const file = join(pki.dir, `kc-${token.slice(0, 6)}`);
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters: [{name: t, cluster: {server: "${srv.url}", certificate-authority-data: ${b64(pki.ca.cert)}}}]
users: [{name: u, user: {token: "${token}"}}]
contexts: [{name: t, context: {cluster: t, user: u}}]
current-context: t
`,
    );
    return runKubectl({ PATH: process.env.PATH, HOME: pki.dir, KUBECONFIG: file }, args);
  };

  beforeAll(async () => {
    pki = makeTestPki();
    srv = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
      bootstrapTokenCleanerIntervalMs: 200,
    });
    admin = adminClient(pki, srv.url);
    api = clientControllerApi(admin);
  });
  afterAll(async () => {
    admin?.close();
    await srv?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('authenticates a valid token as system:bootstrap:<id> in system:bootstrappers and its extra groups', async () => {
    await api.create(
      resources.secrets,
      tokenSecret('abcdef', '0123456789abcdef', {
        'auth-extra-groups': 'system:bootstrappers:tugboat:workers',
        expiration: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    );
    const who = await kubectlWith('abcdef.0123456789abcdef', 'auth', 'whoami', '-o', 'json');
    expect(who.stderr).toBe('');
    expect(JSON.parse(who.stdout).status.userInfo).toMatchObject({
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', 'system:bootstrappers:tugboat:workers', 'system:authenticated'],
    });
    // The node-bootstrapper role: CSRs yes, Secrets no.
    const file = join(pki.dir, 'csr.json');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: 'node-csr-boot' },
        spec: {
          request: b64(
            buildCsrPem(generateKeyPair().privateKey, {
              commonName: 'system:node:n1',
              organizations: ['system:nodes'],
            }),
          ),
          signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
          usages: ['digital signature', 'client auth'],
        },
      }),
    );
    const created = await kubectlWith('abcdef.0123456789abcdef', 'create', '-f', file, '-o', 'json');
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout).spec.username).toBe('system:bootstrap:abcdef');
    const secrets = await kubectlWith('abcdef.0123456789abcdef', 'get', 'secrets', '-n', 'kube-system');
    expect(secrets.stderr).toContain('cannot list resource "secrets"');
  });

  it('refuses a wrong secret, an unknown id, a token not for authentication, and an expired one (401)', async () => {
    await api.create(
      resources.secrets,
      tokenSecret('noauth', '0123456789abcdef', { 'usage-bootstrap-authentication': 'false' }),
    );
    for (const token of ['abcdef.0123456789abcdee', 'zzzzzz.0123456789abcdef', 'noauth.0123456789abcdef']) {
      const r = await kubectlWith(token, 'auth', 'whoami');
      expect(r.code, token).not.toBe(0);
      expect(r.stderr, token).toContain('Unauthorized');
    }
    await api.create(
      resources.secrets,
      tokenSecret('old000', '0123456789abcdef', { expiration: new Date(Date.now() + 1_500).toISOString() }),
    );
    expect((await kubectlWith('old000.0123456789abcdef', 'auth', 'whoami')).code).toBe(0);
    // Once expired it is refused at once, and the cleaner deletes the Secret.
    await waitFor(
      async () => !(await api.get(resources.secrets, 'kube-system', 'bootstrap-token-old000')),
      'the expired token secret to be deleted',
    );
    const r = await kubectlWith('old000.0123456789abcdef', 'auth', 'whoami');
    expect(r.stderr).toContain('Unauthorized');
    expect(await api.get(resources.secrets, 'kube-system', 'bootstrap-token-abcdef')).toBeDefined();
  });
});
