import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';

let srv: RunningApiServer;
let older: RunningApiServer;

const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

beforeAll(async () => {
  srv = await startApiServer();
  older = await startApiServer({ minorVersion: '28' });
});
afterAll(async () => {
  await srv?.stop();
  await older?.stop();
});

describe('version, health and discovery', () => {
  it('reports minor 32 by default and the configured minor otherwise', async () => {
    const v = (await (await fetch(`${srv.url}/version`)).json()) as {
      major: string;
      minor: string;
      gitVersion: string;
    };
    expect(v).toMatchObject({ major: '1', minor: '32' });
    expect(v.gitVersion).toMatch(/^v1\.32\.0/);
    const o = (await (await fetch(`${older.url}/version`)).json()) as { minor: string };
    expect(o.minor).toBe('28');
  });

  it('answers health checks', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) {
      const res = await fetch(`${srv.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
    }
  });

  it('serves aggregated discovery v2 and v2beta1 with their exact content types', async () => {
    for (const [accept, type] of [
      [`${V2},${V2BETA1},application/json`, V2],
      [`${V2BETA1},application/json`, V2BETA1],
    ]) {
      const res = await fetch(`${srv.url}/apis`, { headers: { accept: accept! } });
      expect(res.headers.get('content-type')).toBe(type);
      const body = (await res.json()) as {
        kind: string;
        items: Array<{
          metadata: { name: string };
          versions: Array<{
            resources: Array<{ resource: string; subresources?: Array<{ subresource: string }> }>;
          }>;
        }>;
      };
      expect(body.kind).toBe('APIGroupDiscoveryList');
      expect(body.items.map((g) => g.metadata.name)).toEqual([
        'apps',
        'batch',
        'autoscaling',
        'coordination.k8s.io',
        'discovery.k8s.io',
        'storage.k8s.io',
        'policy',
        'rbac.authorization.k8s.io',
        'authorization.k8s.io',
        'authentication.k8s.io',
        'certificates.k8s.io',
        'metrics.k8s.io',
        'apiextensions.k8s.io',
      ]);
      const deployments = body.items[0]!.versions[0]!.resources.find((r) => r.resource === 'deployments');
      expect(deployments?.subresources?.map((s) => s.subresource)).toEqual(['status', 'scale']);
    }
    const core = await fetch(`${srv.url}/api`, { headers: { accept: V2 } });
    const coreBody = (await core.json()) as {
      items: Array<{
        versions: Array<{ resources: Array<{ resource: string; scope: string; shortNames?: string[] }> }>;
      }>;
    };
    const pods = coreBody.items[0]!.versions[0]!.resources.find((r) => r.resource === 'pods');
    expect(pods).toMatchObject({ scope: 'Namespaced', shortNames: ['po'] });
  });

  it('serves legacy discovery when aggregated is not asked for', async () => {
    const api = (await (await fetch(`${srv.url}/api`)).json()) as { kind: string; versions: string[] };
    expect(api).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await (
      await fetch(`${srv.url}/apis`, { headers: { accept: 'application/json' } })
    ).json()) as { kind: string; groups: Array<{ name: string }> };
    expect(groups.kind).toBe('APIGroupList');
    const v1 = (await (await fetch(`${srv.url}/api/v1`)).json()) as {
      resources: Array<{ name: string; namespaced: boolean }>;
    };
    expect(v1.resources.find((r) => r.name === 'pods/exec')).toBeDefined();
    // kubectl drain evicts only when pods/eviction names its group and version (CheckEvictionSupport).
    expect(v1.resources.find((r) => r.name === 'pods/eviction')).toMatchObject({
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
      verbs: ['create'],
    });
    expect(v1.resources.find((r) => r.name === 'nodes')?.namespaced).toBe(false);
    const apps = (await (await fetch(`${srv.url}/apis/apps/v1`)).json()) as { groupVersion: string };
    expect(apps.groupVersion).toBe('apps/v1');
    expect((await fetch(`${srv.url}/apis/example.com`)).status).toBe(404);
  });

  it('publishes OpenAPI v3 documents whose PATCH operations accept fieldValidation', async () => {
    const root = (await (await fetch(`${srv.url}/openapi/v3`)).json()) as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    expect(Object.keys(root.paths)).toEqual(
      expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/batch/v1']),
    );
    const doc = (await (
      await fetch(`${srv.url}${root.paths['apis/apps/v1']!.serverRelativeURL}`)
    ).json()) as {
      paths: Record<
        string,
        {
          patch?: {
            'x-kubernetes-group-version-kind': { kind: string };
            parameters: Array<{ name: string; in: string }>;
          };
        }
      >;
    };
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.patch;
    expect(patch?.['x-kubernetes-group-version-kind'].kind).toBe('Deployment');
    expect(patch?.parameters).toContainEqual(
      expect.objectContaining({ name: 'fieldValidation', in: 'query' }),
    );
    const v2 = await fetch(`${srv.url}/openapi/v2`, {
      headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
    });
    expect(v2.status).toBe(200);
    expect(v2.headers.get('content-type')).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    // gnostic Document: field 1 swagger "2.0" first; the definitions make it large.
    const body = Buffer.from(await v2.arrayBuffer());
    expect(body.subarray(0, 5)).toEqual(Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]));
    expect(body.includes(Buffer.from('io.k8s.api.apps.v1.Deployment'))).toBe(true);
  });
});
