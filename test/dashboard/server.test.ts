import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../src/client/client.js';
import { resources } from '../../src/client/types.js';
import { type RunningDashboard, startDashboard } from '../../src/dashboard/index.js';
import { kubeClientFromKubeconfig } from '../../src/dashboard/kube-access.js';
import type { KubeObject } from '../../src/kube/index.js';
import { type RunningApiServer, startApiServer, writeKubeconfig } from '../support/api-server.js';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { adminClient } from '../support/control-cluster.js';
import { dashboardRequest, viewBinding } from './dashboard-http.js';

const deployment = (name: string, replicas: number) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    },
  },
});

/** Logs in with the URL's token; returns the session cookie and the Host the dashboard serves. */
async function login(d: RunningDashboard): Promise<{ cookie: string; host: string; base: string }> {
  const res = await dashboardRequest(d.url);
  expect(res.status).toBe(303);
  const setCookie = String(res.headers['set-cookie']);
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  const u = new URL(d.url);
  return { cookie: setCookie.split(';')[0] as string, host: u.host, base: `${u.protocol}//${u.host}` };
}

// The dashboard server against a real API server over TLS with RBAC: an admin and a user bound to
// the `view` ClusterRole, each with their own kubeconfig, as `tugboat dashboard` reads them.
describe('tugboat dashboard: the server', () => {
  let pki: TestPki;
  let api: RunningApiServer;
  let admin: KubeClient;
  let adminConfig: string;
  let viewerConfig: string;
  const running: RunningDashboard[] = [];
  const start = async (file: string) => {
    const d = await startDashboard({ kubeconfig: { explicit: file, env: {}, home: pki.dir } });
    running.push(d);
    return d;
  };

  beforeAll(async () => {
    pki = makeTestPki();
    api = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    });
    admin = adminClient(pki, api.url);
    adminConfig = writeKubeconfig(pki, api.url, pki.client('admin', ['system:masters']));
    viewerConfig = writeKubeconfig(pki, api.url, pki.client('dash-viewer', []), join(pki.dir, 'viewer'));
    await admin.create(
      resources.clusterRoleBindings,
      viewBinding('dash-viewer', { kind: 'User', name: 'dash-viewer' }) as never,
    );
    await admin.create(resources.deployments, deployment('dash-web', 1) as never);
  });

  afterAll(async () => {
    for (const d of running) await d.close();
    admin?.close();
    await api?.stop();
  });

  it('answers 401 and no data without the token, with a wrong one, and with a used one', async () => {
    const d = await start(adminConfig);
    const base = new URL(d.url).origin;
    for (const path of ['/', '/app.js', '/api/stream', '/api/access?namespace=default', '/?token=wrong']) {
      const res = await dashboardRequest(`${base}${path}`, { streamMs: 500 });
      expect(res.status, path).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
      expect(res.body).not.toContain('dash-web');
    }
    await login(d);
    const again = await dashboardRequest(d.url);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('serves the page with a strict CSP and relays the watched objects to the session', async () => {
    const d = await start(adminConfig);
    const { cookie, base } = await login(d);
    const page = await dashboardRequest(`${base}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'; script-src 'self'/);
    expect(page.body).toContain('<script src="/app.js" defer></script>');
    expect(page.body).not.toMatch(/<script>|https?:\/\//);
    const script = await dashboardRequest(`${base}/app.js`, { headers: { cookie } });
    expect(script.status).toBe(200);
    expect(script.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const stream = await dashboardRequest(`${base}/api/stream`, { headers: { cookie }, streamMs: 1500 });
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    const messages = stream.body
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)));
    const deployments = messages.find((m) => m.r === 'deployments' && m.t === 'REPLACE');
    expect(deployments.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toContain(
      'dash-web',
    );
  });

  it('refuses another Host (DNS rebinding) and another Origin (CSRF), even with the session', async () => {
    const d = await start(adminConfig);
    const { cookie, base, host } = await login(d);
    const port = new URL(base).port;
    const rebound = await dashboardRequest(`${base}/api/stream`, {
      headers: { cookie, host: `evil.example:${port}` },
    });
    expect(rebound.status).toBe(403);
    const body = JSON.stringify({ namespace: 'default', name: 'dash-web', replicas: 5 });
    const forged = await dashboardRequest(`${base}/api/scale`, {
      method: 'POST',
      headers: { cookie, host, origin: 'http://evil.example', 'content-type': 'application/json' },
      body,
    });
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body).message).toContain('origin "http://evil.example" is not this dashboard');
    const crossSite = await dashboardRequest(`${base}/api/scale`, {
      method: 'POST',
      headers: { cookie, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      body,
    });
    expect(crossSite.status).toBe(403);
    const dep = await admin.get<KubeObject & { spec: { replicas: number } }>(
      resources.deployments,
      'dash-web',
      'default',
    );
    expect(dep.spec.replicas).toBe(1);
  });

  it('scales a Deployment for the admin, and rejects bad scale requests with a Status', async () => {
    const d = await start(adminConfig);
    const { cookie, base, host } = await login(d);
    const post = (body: string, type = 'application/json') =>
      dashboardRequest(`${base}/api/scale`, {
        method: 'POST',
        headers: { cookie, origin: `http://${host}`, 'content-type': type },
        body,
      });
    expect((await post('{"namespace":"default","name":"dash-web","replicas":-1}')).status).toBe(422);
    expect((await post('{"namespace":"default","name":"Bad Name","replicas":1}')).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
    expect((await post('{}', 'text/plain')).status).toBe(415);
    expect((await post('{"namespace":"default","name":"absent","replicas":1}')).status).toBe(404);
    const ok = await post('{"namespace":"default","name":"dash-web","replicas":3}');
    expect(ok.status).toBe(200);
    const dep = await admin.get<KubeObject & { spec: { replicas: number } }>(
      resources.deployments,
      'dash-web',
      'default',
    );
    expect(dep.spec.replicas).toBe(3);
    const access = await dashboardRequest(`${base}/api/access?namespace=default`, { headers: { cookie } });
    expect(JSON.parse(access.body)).toMatchObject({
      scale: { allowed: true },
      restart: { allowed: true },
      rollback: { allowed: true },
      deletePod: { allowed: true },
      cordon: { allowed: true },
    });
  });

  it('restarts a Deployment, cordons and uncordons a node, deletes a pod, as kubectl does', async () => {
    const d = await start(adminConfig);
    const { cookie, base, host } = await login(d);
    const post = (path: string, body: unknown) =>
      dashboardRequest(`${base}${path}`, {
        method: 'POST',
        headers: { cookie, origin: `http://${host}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/api/restart', { namespace: 'default', name: 'dash-web' })).status).toBe(200);
    const dep = await admin.get<
      KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } }
    >(resources.deployments, 'dash-web', 'default');
    const restartedAt = dep.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'] ?? '';
    expect(Date.now() - Date.parse(restartedAt)).toBeLessThan(60_000);
    await admin.create(resources.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'dash-node' },
    } as never);
    expect((await post('/api/cordon', { name: 'dash-node', unschedulable: 'yes' })).status).toBe(422);
    expect((await post('/api/cordon', { name: 'dash-node', unschedulable: true })).status).toBe(200);
    const unschedulable = async () =>
      (await admin.get<KubeObject & { spec?: { unschedulable?: boolean } }>(resources.nodes, 'dash-node'))
        .spec?.unschedulable;
    expect(await unschedulable()).toBe(true);
    expect((await post('/api/cordon', { name: 'dash-node', unschedulable: false })).status).toBe(200);
    expect(await unschedulable()).toBeFalsy();
    await admin.create(resources.pods, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'dash-pod', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    } as never);
    expect((await post('/api/delete-pod', { namespace: 'default', name: 'dash-pod' })).status).toBe(200);
    await expect(admin.get(resources.pods, 'dash-pod', 'default')).rejects.toMatchObject({ status: 404 });
  });

  it('rolls a Deployment back to its previous revision as kubectl rollout undo does, and says why it cannot', async () => {
    const d = await start(adminConfig);
    const { cookie, base, host } = await login(d);
    const post = (path: string, body: unknown) =>
      dashboardRequest(`${base}${path}`, {
        method: 'POST',
        headers: { cookie, origin: `http://${host}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    type Dep = KubeObject & {
      spec: {
        template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[] } };
      };
    };
    const current = deployment('dash-roll', 1);
    current.spec.template.spec.containers[0]!.image = 'busybox:2';
    const dep = await admin.create<Dep>(resources.deployments, current as never);
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'dash-roll',
      uid: dep.metadata.uid,
      controller: true,
    };
    const replicaSet = (revision: number, image: string, hash: string, ownerRef: object, cause?: string) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `dash-roll-${hash}`,
        namespace: 'default',
        labels: { app: 'dash-roll', 'pod-template-hash': hash },
        annotations: {
          'deployment.kubernetes.io/revision': String(revision),
          ...(cause ? { 'kubernetes.io/change-cause': cause } : {}),
        },
        ownerReferences: [ownerRef],
      },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'dash-roll', 'pod-template-hash': hash } },
        template: {
          metadata: { labels: { app: 'dash-roll', 'pod-template-hash': hash } },
          spec: { containers: [{ name: 'c', image }] },
        },
      },
    });
    await admin.create(resources.replicaSets, replicaSet(1, 'busybox:1', 'aaa', owner, 'first') as never);
    await admin.create(resources.replicaSets, replicaSet(2, 'busybox:2', 'bbb', owner) as never);
    // Revision 9 of somebody else's Deployment, with the same labels: not part of this history.
    await admin.create(
      resources.replicaSets,
      replicaSet(9, 'busybox:9', 'zzz', {
        ...owner,
        name: 'other',
        uid: '00000000-0000-4000-8000-000000000000',
      }) as never,
    );

    const rolled = await post('/api/rollback', { namespace: 'default', name: 'dash-roll' });
    expect(rolled.status).toBe(200);
    expect(JSON.parse(rolled.body)).toEqual({ revision: 1, skipped: false });
    const after = await admin.get<Dep>(resources.deployments, 'dash-roll', 'default');
    expect(after.spec.template.spec.containers[0]!.image).toBe('busybox:1');
    expect(after.spec.template.metadata.labels).toEqual({ app: 'dash-roll' });
    expect(after.metadata.annotations?.['kubernetes.io/change-cause']).toBe('first');
    expect(after.metadata.annotations?.['deployment.kubernetes.io/revision']).toBeUndefined();
    // The template now matches revision 1 (the previous one until the controller renumbers it): nothing to do.
    expect(
      JSON.parse((await post('/api/rollback', { namespace: 'default', name: 'dash-roll' })).body),
    ).toEqual({
      revision: 1,
      skipped: true,
    });

    const none = await post('/api/rollback', { namespace: 'default', name: 'dash-web' });
    expect(none.status).toBe(409);
    expect(JSON.parse(none.body)).toMatchObject({
      kind: 'Status',
      message: 'no rollout history found for deployment "dash-web"',
    });
    await admin.patch(
      resources.deployments,
      'dash-roll',
      { spec: { paused: true } },
      { namespace: 'default' },
    );
    const paused = await post('/api/rollback', { namespace: 'default', name: 'dash-roll' });
    expect(paused.status).toBe(409);
    expect(JSON.parse(paused.body).message).toMatch(/^you cannot rollback a paused deployment/);
    expect((await post('/api/rollback', { namespace: 'default', name: 'absent' })).status).toBe(404);
    // Without a cluster NAME there is no AWS side to act on.
    const eip = await post('/api/eip-assign', {});
    expect(eip.status).toBe(404);
    expect(JSON.parse(eip.body).message).toMatch(/no AWS side/);
  });

  it('tells a view-bound user why scaling is not allowed, and the API server refuses it', async () => {
    const d = await start(viewerConfig);
    const { cookie, base, host } = await login(d);
    const access = await dashboardRequest(`${base}/api/access?namespace=default`, { headers: { cookie } });
    expect(access.status).toBe(200);
    const answers = JSON.parse(access.body);
    expect(answers.scale.allowed).toBe(false);
    expect(answers.scale.reason).toContain(
      'RBAC does not allow you to patch deployments/scale in namespace default',
    );
    expect(answers.restart.reason).toContain(
      'RBAC does not allow you to patch deployments in namespace default',
    );
    expect(answers.rollback.reason).toContain(
      'RBAC does not allow you to patch deployments in namespace default',
    );
    expect(answers.deletePod.reason).toContain('RBAC does not allow you to delete pods in namespace default');
    expect(answers.cordon.reason).toContain('RBAC does not allow you to patch nodes');
    expect(answers.exec.reason).toContain('RBAC does not allow you to create pods/exec in namespace default');
    const refused = await dashboardRequest(`${base}/api/scale`, {
      method: 'POST',
      headers: { cookie, origin: `http://${host}`, 'content-type': 'application/json' },
      body: JSON.stringify({ namespace: 'default', name: 'dash-web', replicas: 7 }),
    });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden' });
  });

  it('reads kubectl kubeconfigs: first file wins, a missing context is a clear error', () => {
    const other = join(pki.dir, 'other');
    writeFileSync(other, 'apiVersion: v1\nkind: Config\ncurrent-context: nowhere\ncontexts: []\n');
    const env = { KUBECONFIG: `${other}:${adminConfig}` };
    const access = kubeClientFromKubeconfig({ location: { env, home: pki.dir }, context: 'test' });
    expect(access.server).toBe(api.url);
    access.client.close();
    expect(() => kubeClientFromKubeconfig({ location: { env, home: pki.dir } })).toThrow(
      /context "nowhere" is not in .* \(contexts: test\)/,
    );
  });
});
