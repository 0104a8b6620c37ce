import { describe, expect, it } from 'vitest';
import { jsonCaller } from '../../support/json-call.js';
import { useApiServer } from '../../support/use-api-server.js';
import { waitFor } from '../../support/wait.js';

const srv = useApiServer();
const call = jsonCaller(() => srv().url);
const G = 'shapes-test.example.com';

/** What controller-gen writes: `metadata: {type: object}` at the root, and a deprecated version. */
const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `shapes.${G}` },
  spec: {
    group: G,
    scope: 'Namespaced',
    names: { plural: 'shapes', kind: 'Shape' },
    versions: ['v1', 'v1beta1'].map((name) => ({
      name,
      served: true,
      storage: name === 'v1',
      ...(name === 'v1beta1' ? { deprecated: true } : {}),
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            metadata: { type: 'object' },
            spec: { type: 'object', properties: { sides: { type: 'integer' } } },
          },
        },
      },
    })),
  },
};

describe('CRDs shaped like the operator bundles', () => {
  it('keeps metadata under a schema that declares it as a bare object, and warns on a deprecated version', async () => {
    expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(
      201,
    );
    const path = `/apis/${G}/v1/namespaces/default/shapes`;
    await waitFor(async () => (await call('GET', path)).status === 200, 'the resource is served');
    const body = {
      apiVersion: `${G}/v1`,
      kind: 'Shape',
      metadata: { name: 'tri', labels: { a: 'b' } },
      spec: { sides: 3 },
    };
    const strict = await call('POST', `${path}?fieldValidation=Strict`, body);
    expect([strict.status, strict.body.metadata.name, strict.body.metadata.labels]).toEqual([
      201,
      'tri',
      { a: 'b' },
    ]);

    const old = await fetch(`${srv().url}/apis/${G}/v1beta1/namespaces/default/shapes/tri`);
    expect(old.status).toBe(200);
    expect(old.headers.get('warning')).toBe(`299 - "${G}/v1beta1 Shape is deprecated"`);
    const current = await fetch(`${srv().url}${path}/tri`);
    expect(current.headers.get('warning')).toBeNull();
  });
});
