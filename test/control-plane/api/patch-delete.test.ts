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
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const pods = '/api/v1/namespaces/default/pods';
const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, labels: { app: name } },
  spec: { containers: [{ name: 'main', image: 'busybox:1', env: [{ name: 'A', value: '1' }] }], ...extra },
});

beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

describe('patch', () => {
  it('applies JSON patch, merge patch and strategic merge patch', async () => {
    expect((await call('POST', pods, pod('pt'))).status).toBe(201);
    const json = await call(
      'PATCH',
      `${pods}/pt`,
      [{ op: 'add', path: '/metadata/labels/x', value: 'y' }],
      'application/json-patch+json',
    );
    expect(json.status).toBe(200);
    expect(json.body.metadata.labels).toEqual({ app: 'pt', x: 'y' });
    const merge = await call(
      'PATCH',
      `${pods}/pt`,
      { metadata: { labels: { x: null } } },
      'application/merge-patch+json',
    );
    expect(merge.body.metadata.labels).toEqual({ app: 'pt' });
    const smp = await call(
      'PATCH',
      `${pods}/pt`,
      { spec: { containers: [{ name: 'main', image: 'busybox:2' }] } },
      'application/strategic-merge-patch+json',
    );
    expect(smp.status).toBe(200);
    expect(smp.body.spec.containers[0].image).toBe('busybox:2');
    expect(smp.body.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }]);
    const deploy = {
      metadata: { name: 'smp' },
      spec: {
        selector: { matchLabels: { app: 'smp' } },
        template: { metadata: { labels: { app: 'smp' } }, spec: pod('x').spec },
      },
    };
    expect((await call('POST', '/apis/apps/v1/namespaces/default/deployments', deploy)).status).toBe(201);
    const envPatch = {
      spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'B', value: '2' }] }] } } },
    };
    const merged = await call(
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/smp',
      envPatch,
      'application/strategic-merge-patch+json',
    );
    expect(merged.status).toBe(200);
    expect(merged.body.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).toEqual([
      'A',
      'B',
    ]);
    expect(merged.body.metadata.generation).toBe(2);
  });

  it('answers 422 for patches that do not apply, 400 for malformed ones, 422 for apply patches without a fieldManager, 404 for missing objects', async () => {
    const failedTest = await call(
      'PATCH',
      `${pods}/pt`,
      [{ op: 'test', path: '/metadata/name', value: 'other' }],
      'application/json-patch+json',
    );
    expect(failedTest.status).toBe(422);
    const badPath = await call(
      'PATCH',
      `${pods}/pt`,
      [{ op: 'replace', path: '/nope/deeper', value: 1 }],
      'application/json-patch+json',
    );
    expect(badPath.status).toBe(422);
    const notList = await call('PATCH', `${pods}/pt`, { op: 'add' }, 'application/json-patch+json');
    expect(notList.status).toBe(400);
    const apply = await call('PATCH', `${pods}/pt`, 'metadata: {}', 'application/apply-patch+yaml');
    expect(apply.status).toBe(422);
    expect(apply.body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    const missing = await call('PATCH', `${pods}/nope`, {}, 'application/merge-patch+json');
    expect(missing.status).toBe(404);
    const immutable = await call(
      'PATCH',
      `${pods}/pt`,
      { spec: { restartPolicy: 'Never' } },
      'application/merge-patch+json',
    );
    expect(immutable.status).toBe(422);
    expect(immutable.body.details.causes[0].field).toBe('spec');
  });
});

describe('delete', () => {
  it('keeps a pod bound to a node with a deletionTimestamp until it is deleted with grace 0', async () => {
    expect((await call('POST', pods, pod('graceful', { nodeName: 'node-a' }))).status).toBe(201);
    const first = await call('DELETE', `${pods}/graceful`);
    expect(first.status).toBe(200);
    expect(first.body.metadata.deletionTimestamp).toBeDefined();
    expect(first.body.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await call('GET', `${pods}/graceful`)).status).toBe(200);
    const now = await call('DELETE', `${pods}/graceful`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      gracePeriodSeconds: 0,
    });
    expect(now.status).toBe(200);
    expect((await call('GET', `${pods}/graceful`)).status).toBe(404);
  });

  it('deletes an unbound pod at once', async () => {
    expect((await call('POST', pods, pod('unbound'))).status).toBe(201);
    expect((await call('DELETE', `${pods}/unbound`)).status).toBe(200);
    expect((await call('GET', `${pods}/unbound`)).status).toBe(404);
  });

  it('waits for finalizers and adds the propagation finalizers for the garbage collector', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    expect(
      (await call('POST', cms, { metadata: { name: 'fin', finalizers: ['example.com/hold'] } })).status,
    ).toBe(201);
    const del = await call('DELETE', `${cms}/fin`);
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    expect((await call('GET', `${cms}/fin`)).status).toBe(200);
    const released = await call(
      'PATCH',
      `${cms}/fin`,
      { metadata: { finalizers: null } },
      'application/merge-patch+json',
    );
    expect(released.status).toBe(200);
    expect((await call('GET', `${cms}/fin`)).status).toBe(404);

    expect((await call('POST', cms, { metadata: { name: 'fg' } })).status).toBe(201);
    const fg = await call('DELETE', `${cms}/fg?propagationPolicy=Foreground`);
    expect(fg.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect((await call('POST', cms, { metadata: { name: 'orph' } })).status).toBe(201);
    const orphan = await call('DELETE', `${cms}/orph`, { propagationPolicy: 'Orphan' });
    expect(orphan.body.metadata.finalizers).toEqual(['orphan']);
  });

  it('checks delete preconditions and deletes collections by selector', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    const created = await call('POST', cms, { metadata: { name: 'pre' } });
    const stale = await call('DELETE', `${cms}/pre`, { preconditions: { resourceVersion: '1' } });
    expect(stale.status).toBe(409);
    expect(
      (await call('DELETE', `${cms}/pre`, { preconditions: { uid: created.body.metadata.uid } })).status,
    ).toBe(200);
    for (const n of ['dc-1', 'dc-2', 'keep']) {
      await call('POST', cms, {
        metadata: { name: n, labels: { group: n.startsWith('dc') ? 'gone' : 'kept' } },
      });
    }
    const dc = await call('DELETE', `${cms}?labelSelector=group%3Dgone`);
    expect(dc.status).toBe(200);
    expect(dc.body.items).toHaveLength(2);
    expect((await call('GET', `${cms}/keep`)).status).toBe(200);
    expect((await call('GET', `${cms}/dc-1`)).status).toBe(404);
  });

  it('binds a pod to a node once', async () => {
    expect((await call('POST', pods, pod('tobind'))).status).toBe(201);
    const target = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'tobind' },
      target: { kind: 'Node', name: 'node-b' },
    };
    expect((await call('POST', `${pods}/tobind/binding`, target)).status).toBe(201);
    expect((await call('GET', `${pods}/tobind`)).body.spec.nodeName).toBe('node-b');
    const again = await call('POST', `${pods}/tobind/binding`, {
      ...target,
      target: { kind: 'Node', name: 'node-c' },
    });
    expect(again.status).toBe(409);
  });
});

describe('delete racing with writes', () => {
  it('succeeds while status updates land on the object, as kube-apiserver does', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    for (let round = 0; round < 10; round++) {
      const name = `race-${round}`;
      expect((await call('POST', cms, { metadata: { name }, data: { n: '0' } })).status).toBe(201);
      // Writers keep changing the object while the delete reads and deletes it.
      let stop = false;
      const writers = [0, 1, 2].map(async (w) => {
        for (let i = 0; !stop && i < 200; i++) {
          await call('PATCH', `${cms}/${name}`, { data: { n: `${w}-${i}` } }, 'application/merge-patch+json');
        }
      });
      const deleted = await call('DELETE', `${cms}/${name}`);
      stop = true;
      await Promise.all(writers);
      expect(deleted.status).toBe(200);
      expect((await call('GET', `${cms}/${name}`)).status).toBe(404);
    }
  });

  it('still answers 409 when the client pinned a resourceVersion that has moved on', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    const created = await call('POST', cms, { metadata: { name: 'pinned' }, data: { n: '0' } });
    await call('PATCH', `${cms}/pinned`, { data: { n: '1' } }, 'application/merge-patch+json');
    const res = await call('DELETE', `${cms}/pinned`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { resourceVersion: created.body.metadata.resourceVersion },
    });
    expect(res.status).toBe(409);
    expect(res.body.kind).toBe('Status');
  });
});
