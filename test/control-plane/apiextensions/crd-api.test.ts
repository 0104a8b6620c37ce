import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkStructural } from '../../../src/control-plane/apiextensions/schema-structural.js';
import { createStore } from '../../../src/control-plane/store/index.js';
import { startApiServer } from '../../support/api-server.js';
import { jsonCaller } from '../../support/json-call.js';
import { useApiServer } from '../../support/use-api-server.js';
import { WatchReader } from '../../support/watch-reader.js';

const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

// biome-ignore lint/suspicious/noExplicitAny: CRD bodies and API answers in tests are free-form JSON
type Json = any;

function crd(
  plural: string,
  scope: string,
  schema: Json = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  extra: Json = {},
) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.crdapi.example.com` },
    spec: {
      group: 'crdapi.example.com',
      scope,
      names: { plural, kind: plural[0]!.toUpperCase() + plural.slice(1, -1) },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
      ...extra,
    },
  };
}

const server = useApiServer();
const call = jsonCaller(() => server().url);

describe('CustomResourceDefinition validation', () => {
  it('refuses a wrong name, no storage version, a non-structural schema and webhooks with upstream messages', async () => {
    const bad = crd('gadgets', 'Namespaced', {
      type: 'object',
      properties: { spec: { properties: { a: { type: 'string' } } } },
    });
    bad.metadata.name = 'gizmos.crdapi.example.com';
    bad.spec.versions[0]!.storage = false;
    const res = await call('POST', CRDS, bad);
    expect(res.status).toBe(422);
    const messages = res.body.details.causes.map(
      (c: { field: string; message: string }) => `${c.field}: ${c.message}`,
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        'metadata.name: Invalid value: "gizmos.crdapi.example.com": must be spec.names.plural+"."+spec.group',
        'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
        'spec.versions: Invalid value: 0: must have exactly one version marked as storage version',
      ]),
    );
    const webhook = await call(
      'POST',
      CRDS,
      crd('hooks', 'Namespaced', undefined, { conversion: { strategy: 'Webhook' } }),
    );
    expect(webhook.body.message).toContain(
      'spec.conversion.strategy: Unsupported value: "Webhook": supported values: "None"',
    );
    const noSchema = crd('bare', 'Namespaced');
    delete (noSchema.spec.versions[0] as { schema?: unknown }).schema;
    expect((await call('POST', CRDS, noSchema)).body.message).toContain(
      'spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required',
    );
  });

  it('refuses hostile schemas: bad regex, huge, deep; without freezing', async () => {
    const regex = crd('regexes', 'Namespaced', {
      type: 'object',
      properties: { s: { type: 'string', pattern: '(?=x)' } },
    });
    expect((await call('POST', CRDS, regex)).body.message).toContain(
      'spec.versions[0].schema.openAPIV3Schema.properties[s].pattern: Invalid value: "(?=x)": must be a valid regular expression',
    );
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 80; i++) deep = { type: 'object', properties: { a: deep } };
    // The body's own nesting limit answers first over HTTP; checkStructural bounds it again.
    expect((await call('POST', CRDS, crd('deeps', 'Namespaced', deep))).status).toBe(400);
    expect(checkStructural(deep, 'schema').map((c) => c.message)).toContain(
      'Forbidden: the schema is nested deeper than 64 levels',
    );
    const props: Record<string, unknown> = {};
    for (let i = 0; i < 21_000; i++) props[`p${i}`] = { type: 'string' };
    const huge = await call('POST', CRDS, crd('huges', 'Namespaced', { type: 'object', properties: props }));
    expect(huge.body.message).toContain('the schema has more than 20000 nodes');
    expect((await call('GET', `${CRDS}`)).body.items).toEqual([]);
  });
});

describe('custom resources over the API', () => {
  it('updates discovery without a restart, watches, selects by name; CEL rules leave no NotEnforced condition', async () => {
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          'x-kubernetes-validations': [{ rule: 'self.size > 0' }],
          properties: { size: { type: 'integer' } },
        },
      },
    };
    const created = await call('POST', CRDS, crd('things', 'Cluster', schema));
    expect(created.status).toBe(201);
    const stored = (await call('GET', `${CRDS}/things.crdapi.example.com`)).body;
    expect(
      stored.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`),
    ).toEqual(['NamesAccepted=True', 'Established=True']);
    const disco = (await (await fetch(`${server().url}/apis`, { headers: { accept: V2 } })).json()) as Json;
    const group = disco.items.find(
      (g: { metadata: { name: string } }) => g.metadata.name === 'crdapi.example.com',
    );
    expect(group.versions[0].resources[0]).toMatchObject({
      resource: 'things',
      scope: 'Cluster',
      singularResource: 'thing',
    });
    expect((await call('GET', '/apis/crdapi.example.com/v1')).body.resources[0]).toMatchObject({
      name: 'things',
      kind: 'Thing',
    });

    const base = '/apis/crdapi.example.com/v1/things';
    const watch = await WatchReader.open(`${server().url}${base}?watch=true`);
    try {
      const thing = (name: string) => ({
        apiVersion: 'crdapi.example.com/v1',
        kind: 'Thing',
        metadata: { name },
        spec: { size: 1 },
      });
      expect((await call('POST', base, thing('t1'))).status).toBe(201);
      expect((await call('POST', base, thing('t2'))).status).toBe(201);
      expect((await watch.next())?.object.metadata?.name).toBe('t1');
      expect((await watch.next())?.type).toBe('ADDED');
      const bad = await call('POST', base, { ...thing('t3'), spec: { size: 'x' } });
      expect(bad.status).toBe(422);
      expect(bad.body.message).toBe(
        'Thing.crdapi.example.com "t3" is invalid: spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
      );
      const strict = await call('POST', `${base}?fieldValidation=Strict`, {
        ...thing('t4'),
        metadata: { name: 't4', bogus: 1 },
        spec: { size: 1, shape: 'round' },
      });
      expect(strict.status).toBe(400);
      expect(strict.body.message).toBe(
        'Thing in version "v1" cannot be handled as a Thing: strict decoding error: unknown field "spec.shape", unknown field "metadata.bogus"',
      );
      const byName = await call('GET', `${base}?fieldSelector=metadata.name%3Dt2`);
      expect(byName.body.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['t2']);
      expect((await call('DELETE', `${base}/t1`)).status).toBe(200);
      expect((await watch.next())?.type).toBe('DELETED');
    } finally {
      watch.close();
    }
    expect((await call('DELETE', `${CRDS}/things.crdapi.example.com`)).status).toBe(200);
    expect((await call('GET', base)).status).toBe(404);
    const after = (await (await fetch(`${server().url}/apis`, { headers: { accept: V2 } })).json()) as Json;
    expect(after.items.map((g: { metadata: { name: string } }) => g.metadata.name)).not.toContain(
      'crdapi.example.com',
    );
    expect((await call('GET', `${CRDS}/things.crdapi.example.com`)).status).toBe(404);
  });

  it('deleting a namespace deletes its custom resources', async () => {
    expect((await call('POST', CRDS, crd('crates', 'Namespaced'))).status).toBe(201);
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'crd-ns' } });
    const base = '/apis/crdapi.example.com/v1/namespaces/crd-ns/crates';
    const box = {
      apiVersion: 'crdapi.example.com/v1',
      kind: 'Crate',
      metadata: { name: 'b1' },
      spec: { any: { thing: 1 } },
    };
    const made = await call('POST', base, box);
    expect(made.body.spec, JSON.stringify(made.body)).toEqual({ any: { thing: 1 } });
    await call('DELETE', '/api/v1/namespaces/crd-ns');
    const left = await server().store.range('/registry/crdapi.example.com/crates/crd-ns/', { prefix: true });
    expect(left.kvs).toEqual([]);
  });

  it('refuses a CRD that would shadow a built-in resource', async () => {
    const rbac = crd('roles', 'Namespaced');
    rbac.metadata.name = 'roles.rbac.authorization.k8s.io';
    rbac.spec.group = 'rbac.authorization.k8s.io';
    expect((await call('POST', CRDS, rbac)).status).toBe(201);
    const got = (await call('GET', `${CRDS}/roles.rbac.authorization.k8s.io`)).body;
    expect(got.status.conditions.find((c: { type: string }) => c.type === 'Established')).toMatchObject({
      status: 'False',
    });
    expect((await call('GET', '/apis/rbac.authorization.k8s.io/v1/roles')).body.kind).toBe('RoleList');
    expect((await call('DELETE', `${CRDS}/roles.rbac.authorization.k8s.io`)).status).toBe(200);
  });

  it('serves the resources of stored CRDs as soon as a restarted server is ready', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tugboat-crd-restart-'));
    const store = await createStore({ kind: 'embedded', dataDir: dir });
    try {
      const first = await startApiServer({ store });
      const callFirst = jsonCaller(() => first.url);
      expect((await callFirst('POST', CRDS, crd('stays', 'Cluster'))).status).toBe(201);
      const stay = { apiVersion: 'crdapi.example.com/v1', kind: 'Stay', metadata: { name: 's1' } };
      expect((await callFirst('POST', '/apis/crdapi.example.com/v1/stays', stay)).status).toBe(201);
      await first.stop();
      const second = await startApiServer({ store });
      try {
        const got = await jsonCaller(() => second.url)('GET', '/apis/crdapi.example.com/v1/stays/s1');
        expect(got.status).toBe(200);
        expect(got.body.metadata.name).toBe('s1');
      } finally {
        await second.stop();
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
