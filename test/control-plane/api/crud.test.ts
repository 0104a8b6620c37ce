import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';

let srv: RunningApiServer;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const pod = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
});

beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

describe('core CRUD', () => {
  it('has the system namespaces and a default service account in each', async () => {
    const list = await call('GET', '/api/v1/namespaces');
    expect(list.body.items.map((n: { metadata: { name: string } }) => n.metadata.name).sort()).toEqual([
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
    const sa = await call('GET', '/api/v1/namespaces/kube-system/serviceaccounts/default');
    expect(sa.status).toBe(200);
  });

  it('creates, reads, updates with conflicts and deletes a pod', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/pods', pod('web-1', { app: 'web' }));
    expect(created.status).toBe(201);
    const meta = created.body.metadata;
    expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.creationTimestamp).toMatch(/Z$/);
    expect(meta.generation).toBe(1);
    expect(Number(meta.resourceVersion)).toBeGreaterThan(0);
    expect(created.body.spec.restartPolicy).toBe('Always');
    expect(created.body.status.phase).toBe('Pending');

    const dup = await call('POST', '/api/v1/namespaces/default/pods', pod('web-1'));
    expect(dup.status).toBe(409);
    expect(dup.body.reason).toBe('AlreadyExists');

    const got = await call('GET', '/api/v1/namespaces/default/pods/web-1');
    expect(got.body.metadata.resourceVersion).toBe(meta.resourceVersion);

    const changed = structuredClone(got.body);
    changed.spec.containers[0].image = 'busybox:1.37';
    const updated = await call('PUT', '/api/v1/namespaces/default/pods/web-1', changed);
    expect(updated.status).toBe(200);
    expect(updated.body.metadata.generation).toBe(2);
    const stale = await call('PUT', '/api/v1/namespaces/default/pods/web-1', changed);
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('Conflict');

    const gone = await call('DELETE', '/api/v1/namespaces/default/pods/web-1');
    expect(gone.status).toBe(200);
    const missing = await call('GET', '/api/v1/namespaces/default/pods/web-1');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });

  it('rejects invalid objects with 422 and field causes', async () => {
    const bad = await call('POST', '/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'Bad_Name' },
      spec: { containers: [{ name: 'x' }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    const fields = bad.body.details.causes.map((c: { field: string }) => c.field);
    expect(fields).toContain('metadata.name');
    expect(fields).toContain('spec.containers[0].image');
  });

  it('lists with label and field selectors and pages with limit/continue', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await call(
        'POST',
        '/api/v1/namespaces/default/pods',
        pod(`p-${i}`, { tier: i % 2 ? 'odd' : 'even' }),
      );
      expect(r.status).toBe(201);
    }
    const odd = await call('GET', '/api/v1/namespaces/default/pods?labelSelector=tier%3Dodd');
    expect(odd.body.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([
      'p-1',
      'p-3',
    ]);
    const notIn = await call('GET', `/api/v1/pods?labelSelector=${encodeURIComponent('tier notin (odd)')}`);
    expect(notIn.body.items).toHaveLength(3);
    const byName = await call('GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dp-2');
    expect(byName.body.items).toHaveLength(1);
    const badField = await call('GET', '/api/v1/pods?fieldSelector=spec.bogus%3Dx');
    expect(badField.status).toBe(400);

    const names: string[] = [];
    let cont = '';
    for (let page = 0; page < 10; page++) {
      const r = await call(
        'GET',
        `/api/v1/namespaces/default/pods?limit=2${cont ? `&continue=${cont}` : ''}`,
      );
      names.push(...r.body.items.map((p: { metadata: { name: string } }) => p.metadata.name));
      cont = r.body.metadata.continue ?? '';
      if (!cont) break;
    }
    expect(names).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-4']);
  });

  it('lists as of an exact resourceVersion', async () => {
    const before = await call('GET', '/api/v1/namespaces/default/configmaps');
    const rv = before.body.metadata.resourceVersion;
    expect(
      (await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'later' } })).status,
    ).toBe(201);
    const exact = await call(
      'GET',
      `/api/v1/namespaces/default/configmaps?resourceVersion=${rv}&resourceVersionMatch=Exact`,
    );
    expect(exact.status).toBe(200);
    expect(exact.body.items).toHaveLength(before.body.items.length);
    expect(exact.body.metadata.resourceVersion).toBe(rv);
    const now = await call('GET', '/api/v1/namespaces/default/configmaps');
    expect(now.body.items).toHaveLength(before.body.items.length + 1);
    expect((await call('GET', '/api/v1/configmaps?resourceVersionMatch=Sometime')).status).toBe(400);
  });

  it('creates in a missing namespace with 404 and deleting a namespace deletes its objects', async () => {
    const missing = await call('POST', '/api/v1/namespaces/nope/configmaps', { metadata: { name: 'c' } });
    expect(missing.status).toBe(404);
    expect((await call('POST', '/api/v1/namespaces', { metadata: { name: 'team' } })).status).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/team/serviceaccounts/default')).status).toBe(200);
    expect(
      (
        await call('POST', '/api/v1/namespaces/team/configmaps', {
          metadata: { name: 'c' },
          data: { a: 'b' },
        })
      ).status,
    ).toBe(201);
    expect((await call('DELETE', '/api/v1/namespaces/team')).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/team/configmaps/c')).status).toBe(404);
    expect((await call('GET', '/api/v1/namespaces/team')).status).toBe(404);
    expect((await call('DELETE', '/api/v1/namespaces/default')).status).toBe(403);
  });

  it('splits status from spec and serves scale', async () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx' }] },
        },
      },
      status: { replicas: 99 },
    };
    const created = await call('POST', '/apis/apps/v1/namespaces/default/deployments', deploy);
    expect(created.status).toBe(201);
    expect(created.body.status).toBeUndefined();
    expect(created.body.spec.replicas).toBe(1);
    const status = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', {
      ...created.body,
      spec: { ...created.body.spec, replicas: 7 },
      status: { replicas: 1, readyReplicas: 1 },
    });
    expect(status.status).toBe(200);
    expect(status.body.status.readyReplicas).toBe(1);
    expect(status.body.spec.replicas).toBe(1);
    expect(status.body.metadata.generation).toBe(1);
    const scaled = await call(
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/web/scale',
      { spec: { replicas: 3 } },
      'application/merge-patch+json',
    );
    expect(scaled.status).toBe(200);
    expect(scaled.body).toMatchObject({
      kind: 'Scale',
      spec: { replicas: 3 },
      status: { selector: 'app=web' },
    });
    const after = await call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    expect(after.body.spec.replicas).toBe(3);
    expect(after.body.metadata.generation).toBe(2);
    expect(after.body.status.readyReplicas).toBe(1);
  });
});
