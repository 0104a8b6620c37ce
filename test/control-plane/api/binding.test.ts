import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';

// Issue #19: pods/binding as kube-apiserver's BindingREST — a node that does not exist may be the
// target; a bound pod (to any node), a pod being deleted and a stale uid are 409 on pods/binding;
// a wrong target kind or a name that differs from the URL is refused.

let srv: RunningApiServer;
beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

const pods = '/api/v1/namespaces/default/pods';
async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
async function createPod(name: string, extra: Record<string, unknown> = {}) {
  const res = await call('POST', pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...extra },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  expect(res.status).toBe(201);
  return res.body;
}
const binding = (name: string, node: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Binding',
  metadata: { name, ...extra },
  target: { apiVersion: 'v1', kind: 'Node', name: node },
});

describe('pods/binding', () => {
  it('binds to a node that does not exist, and refuses a second binding even to the same node', async () => {
    await createPod('b-ghost');
    expect((await call('POST', `${pods}/b-ghost/binding`, binding('b-ghost', 'no-such-node'))).status).toBe(
      201,
    );
    expect((await call('GET', `${pods}/b-ghost`)).body.spec.nodeName).toBe('no-such-node');
    const again = await call('POST', `${pods}/b-ghost/binding`, binding('b-ghost', 'no-such-node'));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on pods/binding "b-ghost": pod b-ghost is already assigned to node "no-such-node"',
    });
  });

  it('refuses a pod that is being deleted, and leaves it unbound', async () => {
    await createPod('b-deleting', { finalizers: ['example.com/hold'] });
    expect((await call('DELETE', `${pods}/b-deleting`)).status).toBe(200);
    const res = await call('POST', `${pods}/b-deleting/binding`, binding('b-deleting', 'n1'));
    expect(res.status).toBe(409);
    expect(res.body.message).toBe(
      'Operation cannot be fulfilled on pods/binding "b-deleting": pod b-deleting is being deleted, cannot be assigned to a host',
    );
    expect((await call('GET', `${pods}/b-deleting`)).body.spec.nodeName).toBeUndefined();
  });

  it('refuses a binding whose uid is not the pod’s (a pod deleted and created again under its name)', async () => {
    const pod = await createPod('b-uid');
    const res = await call('POST', `${pods}/b-uid/binding`, binding('b-uid', 'n1', { uid: 'not-the-uid' }));
    expect(res.status).toBe(409);
    expect(res.body.message).toBe(
      `Operation cannot be fulfilled on pods/binding "b-uid": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${pod.metadata.uid}`,
    );
    const ok = await call('POST', `${pods}/b-uid/binding`, binding('b-uid', 'n1', { uid: pod.metadata.uid }));
    expect(ok.status).toBe(201);
  });

  it('refuses a target that is not a Node, an empty target and a name that differs from the URL', async () => {
    await createPod('b-bad');
    const kind = await call('POST', `${pods}/b-bad/binding`, {
      ...binding('b-bad', 'n1'),
      target: { kind: 'Pod', name: 'n1' },
    });
    expect(kind.status).toBe(422);
    expect(kind.body.details.causes).toEqual([
      {
        reason: 'FieldValueNotSupported',
        field: 'target.kind',
        message: 'Unsupported value: "Pod": supported values: "Node", "<empty>"',
      },
    ]);
    const empty = await call('POST', `${pods}/b-bad/binding`, { ...binding('b-bad', ''), target: {} });
    expect(empty.status).toBe(422);
    expect(empty.body.details.causes[0]).toMatchObject({
      field: 'target.name',
      reason: 'FieldValueRequired',
    });
    const other = await call('POST', `${pods}/b-bad/binding`, binding('someone-else', 'n1'));
    expect(other.status).toBe(400);
    expect(other.body.message).toBe('name in URL does not match name in Binding object');
    expect((await call('GET', `${pods}/b-bad`)).body.spec.nodeName).toBeUndefined();
  });
});
