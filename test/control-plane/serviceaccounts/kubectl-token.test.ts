import { execFile } from 'node:child_process';
import { createPublicKey, createVerify } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServiceAccountKeys } from '../../../src/control-plane/serviceaccounts/keys.js';
import { generateServiceAccountKeyPem } from '../../../src/pki/service-account-key.js';
import { type RunningApiServer, startApiServer, writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestCert, type TestPki } from '../../support/certs.js';
import { tlsCaller } from '../../support/tls-call.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const NS = 'satoken-ns';
const ISSUER = 'https://kubernetes.default.svc.cluster.local';

// Real kubectl against the API server with service-account tokens on: `kubectl create token`,
// then the token itself as the credential, RBAC on the service account, and pod-bound tokens.
describe('service-account tokens with kubectl', () => {
  let pki: TestPki;
  let srv: RunningApiServer;
  let admin: NodeJS.ProcessEnv;
  let tokenEnv: NodeJS.ProcessEnv;
  let node: TestCert;
  let clockOffsetMs = 0;
  const call = tlsCaller(
    () => srv.url,
    () => pki.ca.cert,
  );

  const kubectl = (env: NodeJS.ProcessEnv, args: readonly string[], input?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile('kubectl', [...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  const ok = async (env: NodeJS.ProcessEnv, args: readonly string[], input?: string): Promise<string> => {
    const r = await kubectl(env, args, input);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const withToken = (token: string, args: readonly string[]) =>
    kubectl(tokenEnv, [`--token=${token}`, ...args]);

  beforeAll(async () => {
    pki = makeTestPki();
    const keys = loadServiceAccountKeys({ pem: generateServiceAccountKeyPem(), source: 'test' });
    srv = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
      serviceAccounts: { keys, issuer: ISSUER, rootCa: pki.ca.cert },
      clock: () => new Date(Date.now() + clockOffsetMs),
    });
    admin = {
      PATH: process.env.PATH,
      HOME: pki.dir,
      KUBECONFIG: writeKubeconfig(pki, srv.url, pki.client('admin', ['system:masters'])),
    };
    // A kubeconfig with no user: the token comes from --token only.
    const bare = join(pki.dir, 'token-kubeconfig');
    writeFileSync(
      bare,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: ${srv.url}\n    certificate-authority-data: ${Buffer.from(pki.ca.cert).toString('base64')}\nusers:\n- name: none\n  user: {}\ncontexts:\n- name: t\n  context: {cluster: t, user: none}\ncurrent-context: t\n`,
    );
    tokenEnv = { PATH: process.env.PATH, HOME: pki.dir, KUBECONFIG: bare };
    node = pki.client('node:satoken-n1', ['tugboat:nodes']);
    await ok(admin, ['create', 'namespace', NS]);
    await ok(admin, ['create', 'serviceaccount', 'robot', '-n', NS]);
  });

  afterAll(async () => {
    await srv?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('issues a token with kubectl create token that authenticates as the service account', async () => {
    const token = (await ok(admin, ['create', 'token', 'robot', '-n', NS, '--duration', '15m'])).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(900);
    expect(claims.sub).toBe(`system:serviceaccount:${NS}:robot`);
    const who = JSON.parse(await ok(tokenEnv, [`--token=${token}`, 'auth', 'whoami', '-o', 'json']));
    expect(who.status.userInfo.username).toBe(`system:serviceaccount:${NS}:robot`);
    expect(who.status.userInfo.groups).toEqual([
      'system:serviceaccounts',
      `system:serviceaccounts:${NS}`,
      'system:authenticated',
    ]);
    const short = await kubectl(admin, ['create', 'token', 'robot', '-n', NS, '--duration', '5m']);
    expect(short.stderr).toContain(
      'spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes',
    );
    const missing = await kubectl(admin, ['create', 'token', 'nobody', '-n', NS]);
    expect(missing.stderr.trim()).toBe('error: failed to create token: serviceaccounts "nobody" not found');
  });

  it('is forbidden without a binding and allowed with one', async () => {
    const token = (await ok(admin, ['create', 'token', 'robot', '-n', NS])).trim();
    const denied = await withToken(token, ['get', 'pods', '-n', NS]);
    expect(denied.stderr.trim()).toBe(
      `Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:${NS}:robot" cannot list resource "pods" in API group "" in the namespace "${NS}"`,
    );
    await ok(admin, [
      'create',
      'rolebinding',
      'robot-view',
      '--clusterrole=view',
      `--serviceaccount=${NS}:robot`,
      '-n',
      NS,
    ]);
    const allowed = await withToken(token, ['get', 'pods', '-n', NS]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain('No resources found');
  });

  it('publishes kube-root-ca.crt in every namespace, new ones included', async () => {
    for (const ns of ['default', 'kube-system', NS]) {
      const cm = JSON.parse(
        await ok(admin, ['get', 'configmap', 'kube-root-ca.crt', '-n', ns, '-o', 'json']),
      );
      expect(cm.data).toEqual({ 'ca.crt': pki.ca.cert });
    }
  });

  it('mounts the token volume by admission, honours automount false and refuses an unknown account', async () => {
    const pod = (name: string, extra = '') =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  serviceAccountName: robot\n${extra}  containers:\n  - {name: c, image: busybox}\n`;
    await ok(admin, ['apply', '-n', NS, '-f', '-'], pod('bound-pod'));
    const created = JSON.parse(await ok(admin, ['get', 'pod', 'bound-pod', '-n', NS, '-o', 'json']));
    const volume = created.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
    expect(volume.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(volume.projected.sources).toEqual([
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      {
        downwardAPI: {
          items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
        },
      },
    ]);
    expect(created.spec.containers[0].volumeMounts).toEqual([
      { name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ]);
    await ok(
      admin,
      ['apply', '-n', NS, '-f', '-'],
      pod('no-token', '  automountServiceAccountToken: false\n'),
    );
    const plain = JSON.parse(await ok(admin, ['get', 'pod', 'no-token', '-n', NS, '-o', 'json']));
    expect(plain.spec.volumes ?? []).toEqual([]);
    const refused = await kubectl(
      admin,
      ['apply', '-n', NS, '-f', '-'],
      pod('ghost').replace('robot', 'ghost'),
    );
    expect(refused.stderr).toContain(
      `pods "ghost" is forbidden: error looking up service account ${NS}/ghost: serviceaccount "ghost" not found`,
    );
  });

  it('rejects a pod-bound token once its pod is deleted', async () => {
    await ok(
      admin,
      ['apply', '-n', NS, '-f', '-'],
      `apiVersion: v1\nkind: Pod\nmetadata: {name: short-lived}\nspec:\n  serviceAccountName: robot\n  containers:\n  - {name: c, image: busybox}\n`,
    );
    const token = (
      await ok(admin, [
        'create',
        'token',
        'robot',
        '-n',
        NS,
        '--bound-object-kind',
        'Pod',
        '--bound-object-name',
        'short-lived',
      ])
    ).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims['kubernetes.io'].pod.name).toBe('short-lived');
    expect((await withToken(token, ['get', 'pods', '-n', NS])).code).toBe(0);
    await ok(admin, ['delete', 'pod', 'short-lived', '-n', NS, '--wait=true']);
    const gone = await withToken(token, ['get', 'pods', '-n', NS]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('Unauthorized');
  });

  it('lets a node request tokens only bound to its own pods', async () => {
    await call('POST', `/api/v1/namespaces/${NS}/pods`, {
      cert: pki.client('admin', ['system:masters']),
      body: {
        metadata: { name: 'on-n1' },
        spec: {
          serviceAccountName: 'robot',
          nodeName: 'satoken-n1',
          containers: [{ name: 'c', image: 'x' }],
        },
      },
    });
    const pod = await call('GET', `/api/v1/namespaces/${NS}/pods/on-n1`, {
      cert: pki.client('admin', ['system:masters']),
    });
    const path = `/api/v1/namespaces/${NS}/serviceaccounts/robot/token`;
    const bound = { kind: 'Pod', apiVersion: 'v1', name: 'on-n1', uid: pod.body.metadata.uid };
    const good = await call('POST', path, { cert: node, body: { spec: { boundObjectRef: bound } } });
    expect(good.status).toBe(201);
    expect(good.body.kind).toBe('TokenRequest');
    const unbound = await call('POST', path, { cert: node, body: { spec: {} } });
    expect(unbound.status).toBe(403);
    expect(unbound.body.message).toBe(
      'serviceaccounts "robot" is forbidden: node requested token not bound to a pod',
    );
    const other = await call('POST', path, {
      cert: pki.client('node:satoken-n2', ['tugboat:nodes']),
      body: { spec: { boundObjectRef: bound } },
    });
    expect(other.status).toBe(403);
    expect(other.body.message).toContain(
      'User "node:satoken-n2" cannot create resource "serviceaccounts/token"',
    );
  });

  it('serves the issuer discovery documents to service accounts, whose keys verify the tokens', async () => {
    const token = (await ok(admin, ['create', 'token', 'robot', '-n', NS])).trim();
    const config = await call('GET', '/.well-known/openid-configuration', { token });
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({ issuer: ISSUER, jwks_uri: `${ISSUER}/openid/v1/jwks` });
    const jwks = await call('GET', '/openid/v1/jwks', { token });
    const [h, p, s] = token.split('.') as [string, string, string];
    const kid = JSON.parse(Buffer.from(h, 'base64url').toString()).kid;
    const jwk = jwks.body.keys.find((k: { kid: string }) => k.kid === kid);
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${h}.${p}`);
    expect(verifier.verify(createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'))).toBe(
      true,
    );
    expect((await call('GET', '/openid/v1/jwks')).status).toBe(401);
    // A user outside system:serviceaccounts has no binding to the discovery role.
    expect((await call('GET', '/openid/v1/jwks', { cert: pki.client('someone', []) })).status).toBe(403);
  });

  it('rejects a token after it expires', async () => {
    const token = (await ok(admin, ['create', 'token', 'robot', '-n', NS, '--duration', '10m'])).trim();
    expect((await withToken(token, ['get', 'pods', '-n', NS])).code).toBe(0);
    clockOffsetMs = 12 * 60_000;
    try {
      const expired = await withToken(token, ['get', 'pods', '-n', NS]);
      expect(expired.stderr).toContain('Unauthorized');
    } finally {
      clockOffsetMs = 0;
    }
  });
});
