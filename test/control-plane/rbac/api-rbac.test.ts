import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { makeTestPki, type TestCert, type TestPki } from '../../support/certs.js';
import { tlsCaller } from '../../support/tls-call.js';

let pki: TestPki;
let srv: RunningApiServer;
let admin: TestCert;
let dev: TestCert;

const call = tlsCaller(
  () => srv.url,
  () => pki.ca.cert,
);
const rbac = '/apis/rbac.authorization.k8s.io/v1';

beforeAll(async () => {
  pki = makeTestPki();
  admin = pki.client('admin', ['system:masters']);
  dev = pki.client('dev-1', ['rbac-api-devs']);
  srv = await startApiServer({ tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
  expect(
    (await call('POST', '/api/v1/namespaces', { cert: admin, body: { metadata: { name: 'team' } } })).status,
  ).toBe(201);
  const role = {
    metadata: { name: 'deployer' },
    rules: [
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'deployments/scale'],
        verbs: ['get', 'list', 'watch'],
      },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
    ],
  };
  expect((await call('POST', `${rbac}/namespaces/team/roles`, { cert: admin, body: role })).status).toBe(201);
  const binding = {
    metadata: { name: 'devs-deploy' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployer' },
    subjects: [{ kind: 'Group', name: 'rbac-api-devs' }],
  };
  expect(
    (await call('POST', `${rbac}/namespaces/team/rolebindings`, { cert: admin, body: binding })).status,
  ).toBe(201);
});
afterAll(async () => {
  await srv?.stop();
});

describe('RBAC enforcement on subresources, watches and paths', () => {
  it('checks subresources separately from their resource', async () => {
    expect(
      (await call('GET', '/apis/apps/v1/namespaces/team/deployments/web/scale', { cert: dev })).status,
    ).toBe(404);
    const status = await call('GET', '/apis/apps/v1/namespaces/team/deployments/web/status', { cert: dev });
    expect(status.status).toBe(403);
    expect(status.body.message).toBe(
      'deployments.apps "web" is forbidden: User "dev-1" cannot get resource "deployments/status" in API group "apps" in the namespace "team"',
    );
    const log = await call('GET', '/api/v1/namespaces/team/pods/web/log', { cert: dev });
    expect(log.status).toBe(403);
    expect(log.body.message).toContain('cannot get resource "pods/log"');
  });

  it('authorizes a create without its name, as kube-apiserver: resourceNames never match a create', async () => {
    const role = {
      metadata: { name: 'named-configmaps' },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['allowed'], verbs: ['create', 'get'] },
      ],
    };
    expect((await call('POST', `${rbac}/namespaces/team/roles`, { cert: admin, body: role })).status).toBe(
      201,
    );
    const binding = {
      metadata: { name: 'devs-named-configmaps' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'named-configmaps' },
      subjects: [{ kind: 'Group', name: 'rbac-api-devs' }],
    };
    expect(
      (await call('POST', `${rbac}/namespaces/team/rolebindings`, { cert: admin, body: binding })).status,
    ).toBe(201);
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'allowed' } };
    const created = await call('POST', '/api/v1/namespaces/team/configmaps', { cert: dev, body });
    expect(created.status).toBe(403);
    expect(created.body.message).toBe(
      'configmaps is forbidden: User "dev-1" cannot create resource "configmaps" in API group "" in the namespace "team"',
    );
    expect(created.body.details).toMatchObject({ kind: 'configmaps' });
    expect(created.body.details.name).toBeUndefined();
    // The name still counts for the verbs that have one.
    expect((await call('POST', '/api/v1/namespaces/team/configmaps', { cert: admin, body })).status).toBe(
      201,
    );
    expect((await call('GET', '/api/v1/namespaces/team/configmaps/allowed', { cert: dev })).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/team/configmaps/other', { cert: dev })).status).toBe(403);
  });

  it('authorizes watches with the watch verb', async () => {
    expect(
      (
        await call('GET', '/apis/apps/v1/namespaces/team/deployments?watch=true&timeoutSeconds=1', {
          cert: dev,
        })
      ).status,
    ).toBe(200);
    const pods = await call('GET', '/api/v1/namespaces/team/pods?watch=true&timeoutSeconds=1', { cert: dev });
    expect(pods.body.message).toContain('cannot watch resource "pods"');
  });

  it('lets anonymous callers read health and version only, as system:public-info-viewer says', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/version')).status).toBe(200);
    expect((await call('GET', '/api')).status).toBe(401);
    expect((await call('GET', '/apis', { cert: dev })).status).toBe(200);
    const metrics = await call('GET', '/metrics', { cert: dev });
    expect(metrics.status).toBe(403);
    expect(metrics.body.message).toBe('forbidden: User "dev-1" cannot get path "/metrics"');
  });
});

describe('reviews and impersonation', () => {
  const ssar = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
  it('answers access reviews and rejects malformed ones with 422', async () => {
    const spec = {
      resourceAttributes: { namespace: 'team', verb: 'list', group: 'apps', resource: 'deployments' },
    };
    const mine = await call('POST', ssar, { cert: dev, body: { spec } });
    expect([mine.status, mine.body.status]).toEqual([201, { allowed: true }]);
    const bad = await call('POST', ssar, { cert: dev, body: { spec: {} } });
    expect(bad.status).toBe(422);
    expect(bad.body.message).toContain(
      'exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    const sar = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
    expect((await call('POST', sar, { cert: dev, body: { spec: { ...spec, user: 'x' } } })).status).toBe(403);
    const theirs = await call('POST', sar, {
      cert: admin,
      body: { spec: { ...spec, groups: ['rbac-api-devs'] } },
    });
    expect(theirs.body.status).toEqual({ allowed: true });
    const other = await call('POST', sar, { cert: admin, body: { spec: { ...spec, user: 'someone' } } });
    expect(other.body.status).toEqual({ allowed: false });
    expect((await call('GET', ssar, { cert: admin })).status).toBe(405);
  });

  it('lists rules and who the caller is', async () => {
    const rules = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
      cert: dev,
      body: { spec: { namespace: 'team' } },
    });
    expect(rules.body.status.resourceRules).toContainEqual({
      verbs: ['get'],
      apiGroups: [''],
      resources: ['pods'],
    });
    expect(rules.body.status.incomplete).toBe(false);
    const who = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      cert: dev,
      body: {},
    });
    expect(who.body.status.userInfo).toEqual({
      username: 'dev-1',
      groups: ['rbac-api-devs', 'system:authenticated'],
    });
  });

  it('impersonates only with the impersonate verb, and needs a user for groups', async () => {
    const who = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
    const asMallory = await call('POST', who, {
      cert: admin,
      body: {},
      headers: { 'Impersonate-User': 'mallory', 'Impersonate-Group': 'g1', 'Impersonate-Extra-Scopes': 'a' },
    });
    expect(asMallory.body.status.userInfo).toEqual({
      username: 'mallory',
      groups: ['g1', 'system:authenticated'],
      extra: { scopes: ['a'] },
    });
    const groupOnly = await call('POST', who, {
      cert: admin,
      body: {},
      headers: { 'Impersonate-Group': 'g1' },
    });
    expect(groupOnly.status).toBe(400);
    const denied = await call('GET', '/api/v1/namespaces/team/pods', {
      cert: dev,
      headers: { 'Impersonate-Group': 'system:masters', 'Impersonate-User': 'dev-1' },
    });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe(
      'users "dev-1" is forbidden: User "dev-1" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
  });
});
