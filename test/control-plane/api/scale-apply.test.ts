import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { waitFor } from '../../support/wait.js';

let srv: RunningApiServer;

// biome-ignore lint/suspicious/noExplicitAny: fieldsV1 trees are read by path
type FieldsTree = any;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: {
      'user-agent': 'scale-test/1.0',
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

const applyScale = (path: string, replicas: number | undefined, query: string) =>
  call(
    'PATCH',
    `${path}/scale?${query}`,
    `apiVersion: autoscaling/v1\nkind: Scale\nmetadata: {name: ${path.split('/').pop()}}\n${replicas === undefined ? '' : `spec: {replicas: ${replicas}}\n`}`,
    'application/apply-patch+yaml',
  );

/** The managers of the object and what each owns of spec.replicas / the CRD's count. */
async function owners(path: string): Promise<Record<string, unknown>> {
  const obj = (await call('GET', path)).body;
  const out: Record<string, unknown> = {};
  for (const e of obj.metadata.managedFields ?? [])
    out[`${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`] = e.fieldsV1;
  return out;
}

const workload = (kind: string, name: string) => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name },
  spec: {
    replicas: 1,
    ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
    },
  },
});

beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

describe('server-side apply of the scale subresource', () => {
  it.each([
    ['Deployment', 'deployments'],
    ['ReplicaSet', 'replicasets'],
    ['StatefulSet', 'statefulsets'],
  ])(
    '%s: conflicts with the parent owner, forced takes .spec.replicas, recorded on the parent',
    async (kind, plural) => {
      const path = `/apis/apps/v1/namespaces/default/${plural}/s-${plural}`;
      const created = await call(
        'PATCH',
        `${path}?fieldManager=deployer`,
        JSON.stringify(workload(kind, `s-${plural}`)),
        'application/apply-patch+yaml',
      );
      expect(created.status).toBe(201);
      const clash = await applyScale(path, 3, 'fieldManager=autoscaler');
      expect(clash.status).toBe(409);
      expect(clash.body.message).toBe(
        'Apply failed with 1 conflict: conflict with "deployer": .spec.replicas',
      );
      expect(clash.body.details.causes).toEqual([
        { reason: 'FieldManagerConflict', message: 'conflict with "deployer"', field: '.spec.replicas' },
      ]);

      const forced = await applyScale(path, 3, 'fieldManager=autoscaler&force=true');
      expect(forced.status).toBe(200);
      expect(forced.body).toMatchObject({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        spec: { replicas: 3 },
      });
      expect((await call('GET', path)).body.spec.replicas).toBe(3);
      const after = await owners(path);
      expect(after['autoscaler/Apply/scale']).toEqual({ 'f:spec': { 'f:replicas': {} } });
      // The parent's applier lost the field to the scale applier, and kept the rest.
      expect((after['deployer/Apply'] as FieldsTree)['f:spec']['f:replicas']).toBeUndefined();
      expect((after['deployer/Apply'] as FieldsTree)['f:spec']['f:template']).toBeDefined();
      const entry = (await call('GET', path)).body.metadata.managedFields.find(
        (e: { manager: string }) => e.manager === 'autoscaler',
      );
      expect(entry).toMatchObject({ operation: 'Apply', apiVersion: 'apps/v1', subresource: 'scale' });

      // The same apply again writes nothing; the parent's applier now conflicts with the scale one.
      const rv = (await call('GET', path)).body.metadata.resourceVersion;
      expect((await applyScale(path, 3, 'fieldManager=autoscaler')).status).toBe(200);
      expect((await call('GET', path)).body.metadata.resourceVersion).toBe(rv);
      const back = await call(
        'PATCH',
        `${path}?fieldManager=deployer`,
        JSON.stringify(workload(kind, `s-${plural}`)),
        'application/apply-patch+yaml',
      );
      expect(back.status).toBe(409);
      expect(back.body.message).toBe(
        'Apply failed with 1 conflict: conflict with "autoscaler" with subresource "scale": .spec.replicas',
      );
    },
  );

  it('refuses a body that is not an autoscaling/v1 Scale, bad counts, and unknown fields under Strict', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/s-bad';
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', workload('Deployment', 's-bad'));
    const wrong = await call(
      'PATCH',
      `${path}/scale?fieldManager=x`,
      'apiVersion: apps/v1\nkind: Deployment\nspec: {replicas: 2}\n',
      'application/apply-patch+yaml',
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe(
      'Incorrect version specified in apply patch. Specified patch version: apps/v1, expected: autoscaling/v1',
    );
    // The creator (a plain create: its User-Agent's manager) owns the count: a conflict first.
    expect((await applyScale(path, 2, 'fieldManager=x')).body.message).toBe(
      'Apply failed with 1 conflict: conflict with "scale-test" using apps/v1: .spec.replicas',
    );
    const negative = await applyScale(path, -1, 'fieldManager=x&force=true');
    expect(negative.status).toBe(422);
    expect(negative.body.message).toContain('spec.replicas: Invalid value: -1');
    const unknown = await call(
      'PATCH',
      `${path}/scale?fieldManager=x&fieldValidation=Strict`,
      'apiVersion: autoscaling/v1\nkind: Scale\nspec: {replicas: 2, replica: 3}\n',
      'application/apply-patch+yaml',
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('unknown field "spec.replica"');
    const noManager = await applyScale(path, 2, '');
    expect(noManager.status).toBe(422);
    const dry = await applyScale(path, 4, 'fieldManager=x&force=true&dryRun=All');
    expect(dry.status).toBe(200);
    expect(dry.body.spec.replicas).toBe(4);
    expect((await call('GET', path)).body.spec.replicas).toBe(1);
    expect((await applyScale(path, 2, 'fieldManager=x&force=true')).status).toBe(200);
    // Stopping to apply the count, with nobody else owning it, sets the Scale's zero value.
    expect((await applyScale(path, undefined, 'fieldManager=x')).status).toBe(200);
    expect((await call('GET', path)).body.spec.replicas).toBe(0);
  });

  it('applies to a custom resource scale at its specReplicasPath', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'pools.scale.example.com' },
      spec: {
        group: 'scale.example.com',
        scope: 'Namespaced',
        names: { plural: 'pools', singular: 'pool', kind: 'Pool' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: {
              status: {},
              scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.size' },
            },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { size: { type: 'integer' }, flavor: { type: 'string' } },
                  },
                  status: { type: 'object', properties: { size: { type: 'integer' } } },
                },
              },
            },
          },
        ],
      },
    };
    expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(
      201,
    );
    const path = '/apis/scale.example.com/v1/namespaces/default/pools/p1';
    await waitFor(
      async () => (await call('GET', '/apis/scale.example.com/v1')).status === 200,
      'the Pool API',
    );
    const created = await call(
      'PATCH',
      `${path}?fieldManager=owner`,
      'apiVersion: scale.example.com/v1\nkind: Pool\nmetadata: {name: p1}\nspec: {size: 2, flavor: small}\n',
      'application/apply-patch+yaml',
    );
    expect(created.status).toBe(201);
    const clash = await applyScale(path, 5, 'fieldManager=hpa');
    expect(clash.status).toBe(409);
    expect(clash.body.message).toBe('Apply failed with 1 conflict: conflict with "owner": .spec.replicas');
    expect((await applyScale(path, 5, 'fieldManager=hpa&force=true')).status).toBe(200);
    const pool = (await call('GET', path)).body;
    expect(pool.spec).toEqual({ size: 5, flavor: 'small' });
    const after = await owners(path);
    expect(after['hpa/Apply/scale']).toEqual({ 'f:spec': { 'f:size': {} } });
    expect(after['owner/Apply']).toEqual({ 'f:spec': { 'f:flavor': {} } });
  });
});
