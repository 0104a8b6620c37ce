import { describe, expect, it } from 'vitest';
import { jsonCaller } from '../../support/json-call.js';
import { useApiServer } from '../../support/use-api-server.js';

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents in tests are free-form JSON
type Json = any;

const server = useApiServer();
const call = jsonCaller(() => server().url);
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.openapi-docs.example.com' },
  spec: {
    group: 'openapi-docs.example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
          },
        },
      },
    ],
  },
};

async function rootPaths(): Promise<Record<string, { serverRelativeURL: string }>> {
  return ((await (await fetch(`${server().url}/openapi/v3`)).json()) as Json).paths;
}

describe('/openapi/v3 for built-in kinds', () => {
  it('publishes upstream schemas, with every reference resolvable in the same document', async () => {
    const url = (await rootPaths())['apis/apps/v1']!.serverRelativeURL;
    const doc = (await (await fetch(`${server().url}${url}`)).json()) as Json;
    const schemas = doc.components.schemas as Record<string, Json>;
    const deployment = schemas['io.k8s.api.apps.v1.Deployment'];
    expect(deployment['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', kind: 'Deployment', version: 'v1' },
    ]);
    expect(deployment.description).toBe('Deployment enables declarative updates for Pods and ReplicaSets.');
    // A reference with a description beside it is wrapped in allOf, as kube-openapi publishes v3.
    expect(deployment.properties.spec.allOf).toEqual([
      { $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' },
    ]);
    expect(schemas['io.k8s.api.core.v1.PodSpec'].properties.containers['x-kubernetes-patch-merge-key']).toBe(
      'name',
    );
    expect(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({
      oneOf: [{ type: 'integer' }, { type: 'string' }],
    });
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    const dangling = refs
      .map((r) => r.slice(8, -1).replace('#/components/schemas/', ''))
      .filter((name) => !(name in schemas));
    expect(dangling).toEqual([]);
    const response =
      doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].get.responses['200'];
    expect(response.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/io.k8s.api.apps.v1.Deployment',
    );
  });

  it('caches by hash as kube-openapi does: immutable URL, ETag and 304, 301 for a stale hash', async () => {
    const url = (await rootPaths())['api/v1']!.serverRelativeURL;
    const hash = new URL(url, 'https://x').searchParams.get('hash')!;
    expect(hash).toMatch(/^[0-9A-F]{128}$/);
    const fresh = await fetch(`${server().url}${url}`);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('etag')).toBe(`"${hash}"`);
    expect(fresh.headers.get('cache-control')).toBe('public, immutable');
    await fresh.arrayBuffer();

    const unhashed = await fetch(`${server().url}/openapi/v3/api/v1`, {
      headers: { 'if-none-match': `"${hash}"` },
    });
    expect([unhashed.status, unhashed.headers.get('cache-control')]).toEqual([304, 'no-cache, private']);

    const stale = await fetch(`${server().url}/openapi/v3/api/v1?hash=0BAD`, { redirect: 'manual' });
    expect(stale.status).toBe(301);
    expect(stale.headers.get('location')).toBe(url);

    expect((await fetch(`${server().url}/openapi/v3/apis/nope.example.com/v1`)).status).toBe(404);
  });

  it('changes the hash of a group/version when a CRD in it changes, and only that one', async () => {
    const before = await rootPaths();
    expect((await call('POST', CRDS, widgetCrd)).status).toBe(201);
    let after = before;
    for (let i = 0; i < 50 && !after['apis/openapi-docs.example.com/v1']; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await rootPaths();
    }
    expect(after['apis/openapi-docs.example.com/v1']).toBeDefined();
    expect(after['apis/apps/v1']).toEqual(before['apis/apps/v1']);
    const doc = (await (
      await fetch(`${server().url}${after['apis/openapi-docs.example.com/v1']!.serverRelativeURL}`)
    ).json()) as Json;
    // The custom resource's metadata refers to upstream's ObjectMeta, shipped with the document.
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'com.example.openapi-docs.v1.Widget',
        'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
        'io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry',
      ]),
    );
  });
});

describe('/openapi/v2', () => {
  it('serves JSON definitions of built-in and custom kinds, refs in Swagger 2.0 form', async () => {
    const res = await fetch(`${server().url}/openapi/v2`, { headers: { accept: 'application/json' } });
    expect(res.headers.get('content-type')).toBe('application/json');
    const doc = (await res.json()) as Json;
    expect(doc.swagger).toBe('2.0');
    const pod = doc.definitions['io.k8s.api.core.v1.Pod'];
    expect(pod['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
    expect(pod.properties.spec).toEqual({
      $ref: '#/definitions/io.k8s.api.core.v1.PodSpec',
      description: expect.stringContaining('Specification of the desired behavior of the pod.'),
    });
    expect(doc.definitions['io.k8s.api.rbac.v1.ClusterRole']).toBeDefined();
    expect(
      doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'].get['x-kubernetes-group-version-kind'],
    ).toEqual({
      group: '',
      version: 'v1',
      kind: 'Pod',
    });
    const widget = doc.definitions['com.example.openapi-docs.v1.Widget'];
    expect(widget?.properties.metadata).toMatchObject({
      $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    });
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.filter((r) => !r.includes('#/definitions/'))).toEqual([]);
  });
});
