import { describe, expect, it } from 'vitest';
import { jsonCaller } from '../../support/json-call.js';
import { useApiServer } from '../../support/use-api-server.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const BASE = '/apis/celapi.example.com/v1/namespaces/default/widgets';

// biome-ignore lint/suspicious/noExplicitAny: CRD bodies and API answers in tests are free-form JSON
type Json = any;

function crd(spec: Json, name = 'widgets', kind = 'Widget') {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${name}.celapi.example.com` },
    spec: {
      group: 'celapi.example.com',
      scope: 'Namespaced',
      names: { plural: name, kind },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec,
                status: {
                  type: 'object',
                  properties: { ready: { type: 'integer' } },
                  'x-kubernetes-validations': [
                    { rule: 'self.ready >= 0', message: 'ready must not be negative' },
                  ],
                },
              },
            },
          },
        },
      ],
    },
  };
}

const widgetSpec = {
  type: 'object',
  'x-kubernetes-validations': [
    { rule: 'self.replicas <= self.max', message: 'replicas must not exceed max' },
    { rule: 'self.mode == oldSelf.mode', message: 'mode is immutable' },
  ],
  properties: {
    replicas: { type: 'integer', default: 1 },
    max: { type: 'integer' },
    mode: { type: 'string', default: 'slow' },
    l: { type: 'array', items: { type: 'integer' } },
  },
};

const server = useApiServer();
const get = jsonCaller(() => server().url);

/** jsonCaller with a content type of the caller's choosing (patches, apply). */
async function call(method: string, path: string, body?: unknown, type = 'application/json') {
  if (type === 'application/json') return get(method, path, body);
  const res = await fetch(`${server().url}${path}`, {
    method,
    headers: { 'content-type': type },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

function widget(name: string, spec: Json) {
  return { apiVersion: 'celapi.example.com/v1', kind: 'Widget', metadata: { name }, spec };
}

async function established(name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const got = await call('GET', `${CRDS}/${name}.celapi.example.com`);
    if (got.body.status?.conditions?.some((c: Json) => c.type === 'Established' && c.status === 'True'))
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} not established`);
}

describe('x-kubernetes-validations over the API', () => {
  it('refuses a CRD whose rule does not compile, with the rule path', async () => {
    const bad = crd({ ...widgetSpec, 'x-kubernetes-validations': [{ rule: 'self.replicas <' }] });
    const res = await call('POST', CRDS, bad);
    expect(res.status).toBe(422);
    expect(res.body.details.causes[0].field).toBe(
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule',
    );
    expect(res.body.message).toContain(
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: "self.replicas <": compilation failed: ERROR: <input>:1:',
    );
  });

  it('enforces rules on create, update, patch, apply and the status subresource', async () => {
    expect((await call('POST', CRDS, crd(widgetSpec))).status).toBe(201);
    await established('widgets');
    const stored = await call('GET', `${CRDS}/widgets.celapi.example.com`);
    expect(stored.body.status.conditions.map((c: Json) => c.type)).not.toContain(
      'ValidationRulesNotEnforced',
    );

    const bad = await call('POST', BASE, widget('w', { replicas: 5, max: 2 }));
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      message:
        'Widget.celapi.example.com "w" is invalid: spec: Invalid value: "object": replicas must not exceed max',
      details: { causes: [{ reason: 'FieldValueInvalid', field: 'spec' }] },
    });
    // Defaults apply before rules: replicas defaults to 1.
    expect((await call('POST', BASE, widget('w', { max: 2 }))).status).toBe(201);

    const got = (await call('GET', `${BASE}/w`)).body;
    const put = await call('PUT', `${BASE}/w`, { ...got, spec: { ...got.spec, mode: 'fast' } });
    expect(put.status).toBe(422);
    expect(put.body.message).toContain('spec: Invalid value: "object": mode is immutable');

    const patch = await call('PATCH', `${BASE}/w`, { spec: { replicas: 3 } }, 'application/merge-patch+json');
    expect(patch.status).toBe(422);
    expect(patch.body.message).toContain('replicas must not exceed max');

    const apply = await call(
      'PATCH',
      `${BASE}/w?fieldManager=test&force=true`,
      widget('w', { max: 2, replicas: 9 }),
      'application/apply-patch+yaml',
    );
    expect(apply.status).toBe(422);
    expect(apply.body.message).toContain('replicas must not exceed max');

    const okPatch = await call(
      'PATCH',
      `${BASE}/w`,
      { spec: { replicas: 2 } },
      'application/merge-patch+json',
    );
    expect(okPatch.status).toBe(200);

    const status = await call(
      'PATCH',
      `${BASE}/w/status`,
      { status: { ready: -1 } },
      'application/merge-patch+json',
    );
    expect(status.status).toBe(422);
    expect(status.body.message).toContain('status: Invalid value: "object": ready must not be negative');
    expect(
      (await call('PATCH', `${BASE}/w/status`, { status: { ready: 1 } }, 'application/merge-patch+json'))
        .status,
    ).toBe(200);
  });

  it('answers a hostile nested all(all()) over 5,000 items with a 422 and keeps serving', async () => {
    const hostile = {
      type: 'object',
      'x-kubernetes-validations': [{ rule: 'self.l.all(x, self.l.all(y, self.l.all(z, x + y + z >= 0)))' }],
      properties: { l: { type: 'array', items: { type: 'integer' } } },
    };
    expect((await call('POST', CRDS, crd(hostile, 'hogs', 'Hog'))).status).toBe(201);
    await established('hogs');
    const l = Array.from({ length: 5000 }, (_, i) => i);
    const started = Date.now();
    const [res, version] = await Promise.all([
      call('POST', '/apis/celapi.example.com/v1/namespaces/default/hogs', {
        apiVersion: 'celapi.example.com/v1',
        kind: 'Hog',
        metadata: { name: 'h' },
        spec: { l },
      }),
      call('GET', '/version'),
    ]);
    expect(res.status).toBe(422);
    // The per-call unit limit, or on a slow machine the 1 s wall-clock backstop (out of budget).
    expect(res.body.message).toMatch(
      /^Hog.celapi.example.com "h" is invalid: spec: Invalid value: "object": .*(call cost exceeds limit for rule|running out of cost budget)/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(version.status).toBe(200);
    expect((await call('GET', `${BASE}/w`)).status).toBe(200);
  });
});
