import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { makeTestPki, type TestCert, type TestPki } from '../../support/certs.js';
import { tlsCaller } from '../../support/tls-call.js';

let pki: TestPki;
let srv: RunningApiServer;
let admin: TestCert;
let nodeA: TestCert;
let nodeB: TestCert;
let stranger: TestCert;

const call = tlsCaller(
  () => srv.url,
  () => pki.ca.cert,
);

const node = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

beforeAll(async () => {
  pki = makeTestPki();
  admin = pki.client('admin', ['system:masters']);
  nodeA = pki.client('node:node-a', ['tugboat:nodes']);
  nodeB = pki.client('node:node-b', ['tugboat:nodes']);
  stranger = pki.client('mallory', ['developers']);
  srv = await startApiServer({
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
    tokens: new Map([['s3cret-token-value', { name: 'ci-bot', groups: ['system:masters'] }]]),
  });
});
afterAll(async () => {
  await srv?.stop();
});

describe('authentication', () => {
  it('answers 401 Status without credentials and with an unknown token', async () => {
    const none = await call('GET', '/api/v1/namespaces');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await call('GET', '/api/v1/namespaces', { token: 'wrong' })).status).toBe(401);
  });

  it('lets health and version through without credentials', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/version')).status).toBe(200);
  });

  it('accepts an admin client certificate and a bearer token from the token file', async () => {
    expect((await call('GET', '/api/v1/namespaces', { cert: admin })).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces', { token: 's3cret-token-value' })).status).toBe(200);
  });

  it('rejects a certificate from another CA', async () => {
    const other = makeTestPki().client('admin', ['system:masters']);
    expect((await call('GET', '/api/v1/namespaces', { cert: other })).status).toBe(401);
  });
});

describe('authorization', () => {
  it('forbids users outside the admin and node groups', async () => {
    const res = await call('GET', '/api/v1/namespaces', { cert: stranger });
    expect(res.status).toBe(403);
    expect(res.body.reason).toBe('Forbidden');
    expect(res.body.message).toContain('User "mallory" cannot list resource "namespaces"');
  });

  it('lets a node register and update only its own Node and status', async () => {
    expect((await call('POST', '/api/v1/nodes', { cert: nodeA, body: node('node-a') })).status).toBe(201);
    expect((await call('POST', '/api/v1/nodes', { cert: nodeA, body: node('node-b') })).status).toBe(403);
    expect((await call('POST', '/api/v1/nodes', { cert: admin, body: node('node-b') })).status).toBe(201);
    const patch = { status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    const own = await call('PATCH', '/api/v1/nodes/node-a/status', {
      cert: nodeA,
      body: patch,
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(own.status).toBe(200);
    const other = await call('PATCH', '/api/v1/nodes/node-b/status', {
      cert: nodeA,
      body: patch,
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(other.status).toBe(403);
    expect(other.body.message).toContain('cannot patch resource "nodes/status"');
    expect((await call('DELETE', '/api/v1/nodes/node-b', { cert: nodeA })).status).toBe(403);
    expect((await call('GET', '/api/v1/nodes', { cert: nodeA })).status).toBe(200);
  });

  it('lets a node write its own lease only', async () => {
    const lease = (name: string) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name },
      spec: { holderIdentity: name },
    });
    const leases = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    expect((await call('POST', leases, { cert: nodeA, body: lease('node-a') })).status).toBe(201);
    expect((await call('POST', leases, { cert: nodeA, body: lease('node-b') })).status).toBe(403);
    expect(
      (
        await call('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', {
          cert: nodeA,
          body: lease('node-a'),
        })
      ).status,
    ).toBe(403);
  });

  it('lets a node update the status of pods bound to it, not of others, and not create pods', async () => {
    const pods = '/api/v1/namespaces/default/pods';
    const pod = (name: string, nodeName: string) => ({
      metadata: { name },
      spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
    });
    expect((await call('POST', pods, { cert: admin, body: pod('on-a', 'node-a') })).status).toBe(201);
    expect((await call('POST', pods, { cert: admin, body: pod('on-b', 'node-b') })).status).toBe(201);
    const running = { status: { phase: 'Running' } };
    const mt = 'application/merge-patch+json';
    expect(
      (await call('PATCH', `${pods}/on-a/status`, { cert: nodeA, body: running, contentType: mt })).status,
    ).toBe(200);
    expect(
      (await call('PATCH', `${pods}/on-b/status`, { cert: nodeA, body: running, contentType: mt })).status,
    ).toBe(403);
    expect(
      (await call('PATCH', `${pods}/on-b/status`, { cert: nodeB, body: running, contentType: mt })).status,
    ).toBe(200);
    expect(
      (
        await call('PATCH', `${pods}/on-a`, {
          cert: nodeA,
          body: { metadata: { labels: { x: 'y' } } },
          contentType: mt,
        })
      ).status,
    ).toBe(403);
    expect((await call('POST', pods, { cert: nodeA, body: pod('mine', 'node-a') })).status).toBe(403);
    expect((await call('GET', `${pods}?fieldSelector=spec.nodeName%3Dnode-a`, { cert: nodeA })).status).toBe(
      200,
    );
    expect((await call('GET', '/api/v1/namespaces/default/secrets', { cert: nodeA })).status).toBe(403);
  });
});

describe('limits and strict field validation', () => {
  it('answers 413 for bodies over 3 MiB and for objects over the object limit', async () => {
    const huge = { metadata: { name: 'huge' }, data: { blob: 'x'.repeat(3 * 1024 * 1024 + 10) } };
    const tooBig = await call('POST', '/api/v1/namespaces/default/configmaps', { cert: admin, body: huge });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.reason).toBe('RequestEntityTooLarge');
    const big = { metadata: { name: 'big' }, data: { blob: 'x'.repeat(2 * 1024 * 1024) } };
    expect(
      (await call('POST', '/api/v1/namespaces/default/configmaps', { cert: admin, body: big })).status,
    ).toBe(413);
  });

  it('rejects unknown fields with fieldValidation=Strict and drops them otherwise', async () => {
    const cm = { metadata: { name: 'strict', bogus: 1 }, data: { a: 'b' }, extra: true };
    const strict = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', {
      cert: admin,
      body: cm,
    });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('unknown field "extra"');
    expect(strict.body.message).toContain('unknown field "metadata.bogus"');
    const lenient = await call('POST', '/api/v1/namespaces/default/configmaps', { cert: admin, body: cm });
    expect(lenient.status).toBe(201);
    expect(lenient.body).not.toHaveProperty('extra');
  });

  it('catches misspelled container fields in pods and pod templates', async () => {
    const deploy = {
      metadata: { name: 'typo' },
      spec: {
        selector: { matchLabels: { app: 'typo' } },
        template: {
          metadata: { labels: { app: 'typo' } },
          spec: { containers: [{ name: 'c', image: 'i', imagePullpolicy: 'Always' }] },
        },
      },
    };
    const strict = await call('POST', '/apis/apps/v1/namespaces/default/deployments?fieldValidation=Strict', {
      cert: admin,
      body: deploy,
    });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('unknown field "spec.template.spec.containers[0].imagePullpolicy"');
    const warned = await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      cert: admin,
      body: deploy,
    });
    expect(warned.status).toBe(201);
    const pod = {
      metadata: { name: 'typo' },
      spec: { containers: [{ name: 'c', image: 'i', comand: ['x'] }] },
    };
    expect(
      (
        await call('POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', {
          cert: admin,
          body: pod,
        })
      ).status,
    ).toBe(400);
  });
});
