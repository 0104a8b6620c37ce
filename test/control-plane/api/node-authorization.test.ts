import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRestrictedNodeLabel } from '../../../src/control-plane/auth/node-restriction.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { makeTestPki, type TestCert, type TestPki } from '../../support/certs.js';
import { tlsCaller } from '../../support/tls-call.js';

// Issue #19, finding 5: the node authorizer and NodeRestriction admission, as Kubernetes has them.
let pki: TestPki;
let srv: RunningApiServer;
let admin: TestCert;
let nodeA: TestCert;
let kubeNode: TestCert;

const call = tlsCaller(
  () => srv.url,
  () => pki.ca.cert,
);
const mp = 'application/merge-patch+json';
const smp = 'application/strategic-merge-patch+json';
const ns = '/api/v1/namespaces/default';

beforeAll(async () => {
  pki = makeTestPki();
  admin = pki.client('admin', ['system:masters']);
  nodeA = pki.client('node:node-a', ['tugboat:nodes']);
  kubeNode = pki.client('system:node:node-k', ['system:nodes']);
  srv = await startApiServer({ tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
  for (const [cert, name] of [
    [nodeA, 'node-a'],
    [kubeNode, 'node-k'],
  ] as const) {
    const created = await call('POST', '/api/v1/nodes', {
      cert,
      body: {
        metadata: { name, labels: { 'kubernetes.io/hostname': name, 'tugboat.dev/group': 'g' } },
        spec: { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] },
      },
    });
    expect(created.status).toBe(201);
  }
  for (const kind of ['secrets', 'configmaps']) {
    for (const name of ['used-env', 'used-vol', 'used-proj', 'used-pull', 'other-pod', 'unused']) {
      const body =
        kind === 'secrets' ? { metadata: { name }, stringData: { k: 'v' } } : { metadata: { name } };
      expect((await call('POST', `${ns}/${kind}`, { cert: admin, body })).status).toBe(201);
    }
  }
  const pod = (name: string, nodeName: string, ref: string) => ({
    metadata: { name },
    spec: {
      nodeName,
      imagePullSecrets: [{ name: `${ref}-pull` }],
      volumes: [
        { name: 's', secret: { secretName: `${ref}-vol` } },
        { name: 'c', configMap: { name: `${ref}-vol` } },
        {
          name: 'p',
          projected: {
            sources: [{ secret: { name: `${ref}-proj` } }, { configMap: { name: `${ref}-proj` } }],
          },
        },
      ],
      containers: [
        {
          name: 'c',
          image: 'busybox',
          env: [
            { name: 'S', valueFrom: { secretKeyRef: { name: `${ref}-env`, key: 'k' } } },
            { name: 'C', valueFrom: { configMapKeyRef: { name: `${ref}-env`, key: 'k' } } },
          ],
        },
      ],
    },
  });
  expect(
    (await call('POST', `${ns}/pods`, { cert: admin, body: pod('on-a', 'node-a', 'used') })).status,
  ).toBe(201);
  const elsewhere = pod('on-b', 'node-b', 'other');
  elsewhere.spec.containers[0]!.env = [
    { name: 'S', valueFrom: { secretKeyRef: { name: 'other-pod', key: 'k' } } },
    { name: 'C', valueFrom: { configMapKeyRef: { name: 'other-pod', key: 'k' } } },
  ];
  expect((await call('POST', `${ns}/pods`, { cert: admin, body: elsewhere })).status).toBe(201);
});
afterAll(async () => {
  await srv?.stop();
});

describe('node authorizer: secrets and configmaps through the pods bound to the node', () => {
  it('lets a node get the secrets and configmaps its pods use (env, volumes, projected, pull secrets)', async () => {
    for (const name of ['used-env', 'used-vol', 'used-proj']) {
      expect((await call('GET', `${ns}/secrets/${name}`, { cert: nodeA })).status, name).toBe(200);
      expect((await call('GET', `${ns}/configmaps/${name}`, { cert: nodeA })).status, name).toBe(200);
    }
    expect((await call('GET', `${ns}/secrets/used-pull`, { cert: nodeA })).status).toBe(200);
  });

  it('forbids secrets and configmaps used only by pods on other nodes, unused ones and other namespaces', async () => {
    for (const name of ['other-pod', 'unused', 'used-pull-missing']) {
      const res = await call('GET', `${ns}/secrets/${name}`, { cert: nodeA });
      expect(res.status, name).toBe(403);
      expect(res.body.message).toContain(`User "node:node-a" cannot get resource "secrets"`);
    }
    expect((await call('GET', `${ns}/configmaps/other-pod`, { cert: nodeA })).status).toBe(403);
    expect((await call('GET', `${ns}/configmaps/unused`, { cert: nodeA })).status).toBe(403);
    expect(
      (await call('GET', '/api/v1/namespaces/kube-system/secrets/used-env', { cert: nodeA })).status,
    ).toBe(403);
    expect((await call('GET', `${ns}/secrets`, { cert: nodeA })).status).toBe(403);
    expect((await call('GET', `${ns}/configmaps?watch=true`, { cert: nodeA })).status).toBe(403);
  });

  it('loses access when the pod is gone', async () => {
    const body = { metadata: { name: 'short' }, spec: { nodeName: 'node-a', containers: [] as unknown[] } };
    body.spec.containers.push({
      name: 'c',
      image: 'busybox',
      envFrom: [{ secretRef: { name: 'unused' } }],
    });
    expect((await call('POST', `${ns}/pods`, { cert: admin, body })).status).toBe(201);
    expect((await call('GET', `${ns}/secrets/unused`, { cert: nodeA })).status).toBe(200);
    expect((await call('DELETE', `${ns}/pods/short?gracePeriodSeconds=0`, { cert: admin })).status).toBe(200);
    expect((await call('GET', `${ns}/secrets/unused`, { cert: nodeA })).status).toBe(403);
  });

  it('lets a node create only its own Node (the name in the body decides, as NodeRestriction; leases: auth.test.ts)', async () => {
    const other = await call('POST', '/api/v1/nodes', {
      cert: nodeA,
      body: { metadata: { name: 'node-z' } },
    });
    expect(other.status).toBe(403);
    expect(other.body.message).toBe(
      'nodes is forbidden: User "node:node-a" cannot create resource "nodes" in API group "" at the cluster scope',
    );
  });

  it('recognises the Kubernetes node identity system:node:<name> in system:nodes', async () => {
    expect((await call('GET', '/api/v1/nodes', { cert: kubeNode })).status).toBe(200);
    expect(
      (
        await call('PATCH', '/api/v1/nodes/node-k/status', {
          cert: kubeNode,
          body: { status: {} },
          contentType: mp,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('PATCH', '/api/v1/nodes/node-a/status', {
          cert: kubeNode,
          body: { status: {} },
          contentType: mp,
        })
      ).status,
    ).toBe(403);
    expect((await call('GET', `${ns}/secrets/used-env`, { cert: kubeNode })).status).toBe(403);
    const impostor = pki.client('system:node:node-k', ['developers']);
    expect((await call('GET', '/api/v1/nodes', { cert: impostor })).status).toBe(403);
  });
});

describe('NodeRestriction admission', () => {
  const patchNode = (body: unknown, contentType = mp, cert = nodeA) =>
    call('PATCH', '/api/v1/nodes/node-a', { cert, body, contentType });

  it('forbids a node removing or changing its taints', async () => {
    const removed = await patchNode({ spec: { taints: null } });
    expect(removed.status).toBe(403);
    expect(removed.body).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(removed.body.message).toBe(
      'nodes "node-a" is forbidden: node "node-a" is not allowed to modify taints',
    );
    const changed = await patchNode({
      spec: { taints: [{ key: 'dedicated', value: 'y', effect: 'NoSchedule' }] },
    });
    expect(changed.status).toBe(403);
    const json = await patchNode([{ op: 'remove', path: '/spec/taints/0' }], 'application/json-patch+json');
    expect(json.status).toBe(403);
    const node = await call('GET', '/api/v1/nodes/node-a', { cert: admin });
    expect(node.body.spec.taints).toEqual([{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
  });

  it('forbids a node setting spec.unschedulable, through PATCH and PUT', async () => {
    const res = await patchNode({ spec: { unschedulable: true } });
    expect(res.status).toBe(403);
    expect(res.body.message).toContain('not allowed to modify unschedulable');
    const current = (await call('GET', '/api/v1/nodes/node-a', { cert: nodeA })).body;
    const put = await call('PUT', '/api/v1/nodes/node-a', {
      cert: nodeA,
      body: { ...current, spec: { ...current.spec, unschedulable: true } },
    });
    expect(put.status).toBe(403);
  });

  it('forbids node-restriction.kubernetes.io and other restricted labels, on create and update', async () => {
    const set = await patchNode({
      metadata: { labels: { 'node-restriction.kubernetes.io/trusted': 'yes' } },
    });
    expect(set.status).toBe(403);
    expect(set.body.message).toBe(
      'nodes "node-a" is forbidden: node "node-a" is not allowed to modify labels: node-restriction.kubernetes.io/trusted',
    );
    expect(
      (await patchNode({ metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } })).status,
    ).toBe(403);
    const created = await call('POST', '/api/v1/nodes', {
      cert: pki.client('node:node-c', ['tugboat:nodes']),
      body: { metadata: { name: 'node-c', labels: { 'foo.node-restriction.kubernetes.io/x': 'y' } } },
    });
    expect(created.status).toBe(403);
    expect(created.body.message).toContain(
      'is not allowed to set the following labels: foo.node-restriction.kubernetes.io/x',
    );
    // An admin may set them, and the node may then not remove them.
    expect(
      (
        await call('PATCH', '/api/v1/nodes/node-a', {
          cert: admin,
          body: {
            metadata: { labels: { 'node-restriction.kubernetes.io/trusted': 'yes' } },
            spec: { unschedulable: true },
          },
          contentType: mp,
        })
      ).status,
    ).toBe(200);
    expect(
      (await patchNode({ metadata: { labels: { 'node-restriction.kubernetes.io/trusted': null } } })).status,
    ).toBe(403);
    expect((await patchNode({ spec: { unschedulable: false } })).status).toBe(403);
  });

  it('still lets a node update its own labels the kubelet may set, annotations and status', async () => {
    const ok = await patchNode(
      {
        metadata: {
          labels: {
            'topology.kubernetes.io/zone': 'z1',
            'tugboat.dev/group': 'h',
            'x.node.kubernetes.io/y': 'z',
          },
          annotations: { a: 'b' },
        },
      },
      smp,
    );
    expect(ok.status).toBe(200);
    expect(ok.body.metadata.labels['topology.kubernetes.io/zone']).toBe('z1');
    const status = await call('PATCH', '/api/v1/nodes/node-a/status', {
      cert: nodeA,
      body: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      contentType: smp,
    });
    expect(status.status).toBe(200);
    // A status write that carries other fields cannot change them (only status is taken).
    const sneaky = await call('PATCH', '/api/v1/nodes/node-a/status', {
      cert: nodeA,
      body: { spec: { taints: null }, status: {} },
      contentType: mp,
    });
    expect(sneaky.status).toBe(200);
    expect(sneaky.body.spec.taints).toHaveLength(1);
  });

  it('classifies labels as kube-apiserver does', () => {
    for (const key of [
      'node-restriction.kubernetes.io/a',
      'a.node-restriction.kubernetes.io/b',
      'node-role.kubernetes.io/worker',
      'kubernetes.io/role',
      'example.k8s.io/x',
    ])
      expect(isRestrictedNodeLabel(key), key).toBe(true);
    for (const key of [
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
      'node.kubernetes.io/instance-type',
      'node.kubernetes.io/anything',
      'kubelet.kubernetes.io/x',
      'tugboat.dev/group',
      'plain',
    ])
      expect(isRestrictedNodeLabel(key), key).toBe(false);
  });
});
