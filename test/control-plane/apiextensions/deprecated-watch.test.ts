import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';
import { waitFor } from '../../support/wait.js';

let srv: RunningApiServer;

beforeAll(async () => {
  srv = await startApiServer();
});
afterAll(async () => {
  await srv?.stop();
});

const version = (name: string, storage: boolean, deprecated: boolean) => ({
  name,
  served: true,
  storage,
  ...(deprecated
    ? { deprecated: true, deprecationWarning: `example.com/${name} Widget is deprecated; use v2` }
    : {}),
  schema: {
    openAPIV3Schema: {
      type: 'object',
      properties: { spec: { type: 'object', properties: { n: { type: 'integer' } } } },
    },
  },
});

describe('deprecated versions on watch', () => {
  it('answer the Warning header on the watch response, as on every other request of that version', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.depr.example.com' },
      spec: {
        group: 'depr.example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [version('v1', false, true), version('v2', true, false)],
      },
    };
    const made = await fetch(`${srv.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(crd),
    });
    expect(made.status).toBe(201);
    await waitFor(
      async () => (await fetch(`${srv.url}/apis/depr.example.com/v1/widgets`)).status === 200,
      'the Widget API',
    );
    // node:http, so the test closes the watch's socket itself and the server sees it go.
    const watch = (v: string) =>
      new Promise<{ status?: number; warning: unknown }>((resolve, reject) => {
        const req = http.get(
          `${srv.url}/apis/depr.example.com/${v}/namespaces/default/widgets?watch=1`,
          (res) => {
            resolve({ status: res.statusCode, warning: res.headers.warning ?? null });
            req.destroy();
          },
        );
        req.on('error', reject);
      });
    expect(await watch('v1')).toEqual({
      status: 200,
      warning: '299 - "example.com/v1 Widget is deprecated; use v2"',
    });
    expect(await watch('v2')).toEqual({ status: 200, warning: null });
  });
});
