import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServiceAccountKeys } from '../../../src/control-plane/serviceaccounts/keys.js';
import { generateServiceAccountKeyPem } from '../../../src/pki/service-account-key.js';
import { type RunningApiServer, startApiServer, writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { type KubectlRun, runKubectl } from '../../support/control-cluster.js';

const NS = 'api-tokenreview';
const ISSUER = 'https://kubernetes.default.svc.cluster.local';

const review = (token: string, audiences?: string[]) =>
  JSON.stringify({
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token, ...(audiences ? { audiences } : {}) },
  });

// TokenReview through real kubectl (`kubectl create -f`), as an extension API server or
// kube-rbac-proxy sends it: service-account, bootstrap and file tokens, audiences, and the
// tokenreviews create right of system:auth-delegator.
describe('TokenReview with kubectl', () => {
  let pki: TestPki;
  let srv: RunningApiServer;
  let admin: NodeJS.ProcessEnv;
  let delegate: NodeJS.ProcessEnv;
  const kubectl = (env: NodeJS.ProcessEnv, args: readonly string[], input?: string): Promise<KubectlRun> =>
    runKubectl(env, args, 60_000, input);
  const ok = async (env: NodeJS.ProcessEnv, args: readonly string[], input?: string): Promise<string> => {
    const r = await kubectl(env, args, input);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const reviewAs = async (env: NodeJS.ProcessEnv, body: string) =>
    JSON.parse(await ok(env, ['create', '-f', '-', '-o', 'json'], body)) as {
      status: Record<string, unknown> & { user: Record<string, unknown> };
    };

  beforeAll(async () => {
    pki = makeTestPki();
    const keys = loadServiceAccountKeys({ pem: generateServiceAccountKeyPem(), source: 'test' });
    srv = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
      serviceAccounts: { keys, issuer: ISSUER },
      tokens: new Map([['api-file-token-0123456789', { name: 'file-user', groups: ['file-group'] }]]),
    });
    const env = (user: string, groups: string[]) => ({
      PATH: process.env.PATH,
      HOME: pki.dir,
      KUBECONFIG: writeKubeconfig(
        pki,
        srv.url,
        pki.client(user, groups),
        join(pki.dir, `${user}.kubeconfig`),
      ),
    });
    admin = env('admin', ['system:masters']);
    delegate = env('api-delegate', []);
    await ok(admin, ['create', 'namespace', NS]);
    await ok(admin, ['create', 'serviceaccount', 'robot', '-n', NS]);
  });

  afterAll(async () => {
    await srv?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('is served in discovery as create-only', async () => {
    const list = await ok(admin, ['api-resources', '--api-group=authentication.k8s.io', '-o', 'wide']);
    expect(list).toMatch(/^tokenreviews\s+authentication\.k8s\.io\/v1\s+false\s+TokenReview\s+create\s*$/m);
  });

  it('reviews a service-account token: user, uid, groups and audiences', async () => {
    const token = (await ok(admin, ['create', 'token', 'robot', '-n', NS])).trim();
    const uid = await ok(admin, ['get', 'sa', 'robot', '-n', NS, '-o', 'jsonpath={.metadata.uid}']);
    const got = await reviewAs(admin, review(token));
    expect(got.status).toMatchObject({
      authenticated: true,
      audiences: [ISSUER],
      user: {
        username: `system:serviceaccount:${NS}:robot`,
        uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'],
      },
    });
    expect(String(got.status.user.extra ? Object.keys(got.status.user.extra as object) : '')).toContain(
      'authentication.kubernetes.io/credential-id',
    );
  });

  it('checks the audiences a review asks for', async () => {
    const vault = (await ok(admin, ['create', 'token', 'robot', '-n', NS, '--audience=vault'])).trim();
    const forVault = await reviewAs(admin, review(vault, ['vault', 'other']));
    expect(forVault.status).toMatchObject({ authenticated: true, audiences: ['vault'] });
    // Without spec.audiences the server's own audiences apply, which a vault token is not for.
    const forApi = await reviewAs(admin, review(vault));
    expect(forApi.status.authenticated).toBeUndefined();
    expect(forApi.status.error).toBe(
      `[invalid bearer token, token audiences ["vault"] are invalid for the target audiences ["${ISSUER}"]]`,
    );
  });

  it('reviews file and bootstrap tokens only for the server audiences, and refuses garbage', async () => {
    const file = await reviewAs(admin, review('api-file-token-0123456789'));
    expect(file.status).toMatchObject({
      authenticated: true,
      audiences: [ISSUER],
      user: { username: 'file-user', groups: ['file-group', 'system:authenticated'] },
    });
    const elsewhere = await reviewAs(admin, review('api-file-token-0123456789', ['vault']));
    expect(elsewhere.status).toEqual({ user: {}, error: 'invalid bearer token' });
    await ok(
      admin,
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'bootstrap-token-apitok', namespace: 'kube-system' },
        type: 'bootstrap.kubernetes.io/token',
        stringData: {
          'token-id': 'apitok',
          'token-secret': '0123456789abcdef',
          'usage-bootstrap-authentication': 'true',
        },
      }),
    );
    const boot = await reviewAs(admin, review('apitok.0123456789abcdef'));
    expect(boot.status).toMatchObject({
      authenticated: true,
      user: { username: 'system:bootstrap:apitok', groups: ['system:bootstrappers', 'system:authenticated'] },
    });
    const wrong = await reviewAs(admin, review('apitok.0123456789abcdee'));
    expect(wrong.status).toEqual({ user: {}, error: '[invalid bearer token, invalid bootstrap token]' });
    const garbage = await reviewAs(admin, review('not-a-token'));
    expect(garbage.status).toEqual({ user: {}, error: 'invalid bearer token' });
    const empty = await kubectl(admin, ['create', '-f', '-'], review(''));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain(
      'Error from server (BadRequest): error when creating "STDIN": token is required for TokenReview in authentication',
    );
  });

  it('needs the tokenreviews create right that system:auth-delegator grants', async () => {
    const token = (await ok(admin, ['create', 'token', 'robot', '-n', NS])).trim();
    const denied = await kubectl(delegate, ['create', '-f', '-'], review(token));
    expect(denied.stderr).toContain(
      'tokenreviews.authentication.k8s.io is forbidden: User "api-delegate" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope',
    );
    const role = JSON.parse(await ok(admin, ['get', 'clusterrole', 'system:auth-delegator', '-o', 'json']));
    expect(role.rules).toEqual([
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
    await ok(admin, [
      'create',
      'clusterrolebinding',
      'api-delegate-auth',
      '--clusterrole=system:auth-delegator',
      '--user=api-delegate',
    ]);
    const got = await reviewAs(delegate, review(token));
    expect(got.status.authenticated).toBe(true);
  });
});
