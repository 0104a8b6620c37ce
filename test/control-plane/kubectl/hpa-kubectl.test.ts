import { rmSync } from 'node:fs';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/client/client.js';
import type { KubeObject } from '../../../src/kube/index.js';
import { type RunningApiServer, startApiServer, writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { adminClient, runKubectl } from '../../support/control-cluster.js';

// HorizontalPodAutoscalers with real kubectl 1.30 and 1.33 (the dispatcher picks the binary by the
// minor /version reports): `kubectl autoscale` (autoscaling/v1, protobuf from 1.32 on), `get`,
// `describe`, and the same object through both versions' REST paths.
describe.each(['30', '33'])('HorizontalPodAutoscalers with kubectl 1.%s', (minor) => {
  let pki: TestPki;
  let server: RunningApiServer;
  let client: KubeClient;
  let env: NodeJS.ProcessEnv;
  const kubectl = (...args: string[]) => runKubectl(env, args, 60_000);
  const ok = async (...args: string[]) => {
    const r = await kubectl(...args);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    pki = makeTestPki();
    server = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
      minorVersion: minor,
    });
    client = adminClient(pki, server.url);
    env = {
      PATH: process.env.PATH,
      HOME: pki.dir,
      KUBECONFIG: writeKubeconfig(pki, server.url, pki.client('admin', ['system:masters'])),
    };
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('autoscales a deployment and lists and describes the autoscaler as kube does', async () => {
    await ok('create', 'deployment', 'web', '--image=busybox', '--replicas=2');
    expect(await ok('autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=50')).toContain(
      'horizontalpodautoscaler.autoscaling/web autoscaled',
    );
    const table = await ok('get', 'hpa');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
    expect(table).toMatch(/web\s+Deployment\/web\s+cpu: <unknown>\/50%\s+2\s+5\s+0\s+\d+s/);
    const v2 = JSON.parse(await ok('get', 'hpa', 'web', '-o', 'json')) as Record<string, unknown>;
    expect(v2.apiVersion).toBe('autoscaling/v2');
    expect(v2.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
    });
    const describe = await ok('describe', 'hpa', 'web');
    expect(describe).toMatch(/Reference:\s+Deployment\/web/);
    expect(describe).toMatch(/resource cpu on pods\s+\(as a percentage of request\):\s+<unknown> \/ 50%/);
    expect(describe).toMatch(/Min replicas:\s+2/);
    expect(describe).toMatch(/Max replicas:\s+5/);
    expect(
      await ok(
        'get',
        'horizontalpodautoscalers.v1.autoscaling',
        'web',
        '-o',
        'jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage}',
      ),
    ).toBe('autoscaling/v1 50');
  });

  it('serves one object through v1 and v2: a v2-only metric survives a v1 update', async () => {
    const path = (v: string) => `/apis/autoscaling/${v}/namespaces/default/horizontalpodautoscalers`;
    await client.transport.json({
      method: 'POST',
      path: path('v2'),
      body: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'both' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          maxReplicas: 4,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
            },
            {
              type: 'Resource',
              resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '64Mi' } },
            },
          ],
        },
      },
    });
    const v1 = await client.transport.json<KubeObject & { spec: Record<string, unknown> }>({
      method: 'GET',
      path: `${path('v1')}/both`,
    });
    expect(v1.apiVersion).toBe('autoscaling/v1');
    expect(v1.spec.targetCPUUtilizationPercentage).toBe(60);
    expect(
      JSON.parse(v1.metadata.annotations?.['autoscaling.alpha.kubernetes.io/metrics'] ?? '[]'),
    ).toHaveLength(1);
    await client.transport.json({
      method: 'PUT',
      path: `${path('v1')}/both`,
      body: { ...v1, spec: { ...v1.spec, maxReplicas: 6, targetCPUUtilizationPercentage: 70 } },
    });
    const v2 = await client.transport.json<KubeObject & { spec: Record<string, unknown> }>({
      method: 'GET',
      path: `${path('v2')}/both`,
    });
    expect(v2.metadata.annotations).toBeUndefined();
    expect(v2.spec.maxReplicas).toBe(6);
    expect(v2.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
      {
        type: 'Resource',
        resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '64Mi' } },
      },
    ]);
    const list = await client.transport.json<{ apiVersion: string; items: KubeObject[] }>({
      method: 'GET',
      path: path('v1'),
    });
    expect(list.items.map((i) => i.apiVersion)).toEqual(['autoscaling/v1', 'autoscaling/v1']);
    const watched = await ok(
      'get',
      '--raw',
      '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers?watch=1&timeoutSeconds=1',
    );
    const events = watched
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: KubeObject & { spec: Record<string, unknown> } });
    expect(events.map((e) => [e.type, e.object.apiVersion, e.object.metadata.name])).toEqual([
      ['ADDED', 'autoscaling/v1', 'both'],
      ['ADDED', 'autoscaling/v1', 'web'],
    ]);
    expect(events[0]?.object.spec.targetCPUUtilizationPercentage).toBe(70);
    // A Table watch with the objects included (what `kubectl get -w` may ask for) embeds v1 too.
    const admin = pki.client('admin', ['system:masters']);
    const tableWatch = await new Promise<string>((resolve, reject) => {
      const req = https.get(
        `${server.url}${path('v1')}?watch=1&timeoutSeconds=1&includeObject=Object`,
        {
          ca: pki.ca.cert,
          cert: admin.cert,
          key: admin.key,
          headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
    });
    const rows = tableWatch
      .trim()
      .split('\n')
      .flatMap((l) => (JSON.parse(l) as { object: { rows: { object: KubeObject }[] } }).object.rows);
    expect(rows.map((r) => r.object.apiVersion)).toEqual(['autoscaling/v1', 'autoscaling/v1']);
  });

  it('applies a v2 manifest and re-applies a change, defaults filled in', async () => {
    const manifest = (averageValue: string) =>
      JSON.stringify({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'applied' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          maxReplicas: 5,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'memory', target: { type: 'AverageValue', averageValue } },
            },
          ],
          behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
        },
      });
    for (const [value, verb] of [
      ['100Mi', 'created'],
      ['200Mi', 'configured'],
    ] as const) {
      const r = await runKubectl(env, ['apply', '-f', '-'], 60_000, manifest(value));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`horizontalpodautoscaler.autoscaling/applied ${verb}`);
    }
    expect(await ok('get', 'hpa', 'applied')).toMatch(
      /applied\s+Deployment\/web\s+memory: <unknown>\/200Mi\s+1\s+5\s+0/,
    );
    const spec = JSON.parse(await ok('get', 'hpa', 'applied', '-o', 'jsonpath={.spec}')) as {
      behavior: { scaleUp: { policies: unknown[] }; scaleDown: { stabilizationWindowSeconds: number } };
    };
    expect(spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(60);
    expect(spec.behavior.scaleUp.policies).toHaveLength(2);
  });

  it('refuses an autoscaler with bounds upside down, in upstream words', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'upside-down' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 5, maxReplicas: 2 },
    });
    const r = await runKubectl(env, ['create', '-f', '-'], 60_000, manifest);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'The HorizontalPodAutoscaler "upside-down" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
    );
  });

  it('discovers autoscaling with v2 preferred', async () => {
    const group = JSON.parse(await ok('get', '--raw', '/apis/autoscaling')) as {
      preferredVersion: { version: string };
      versions: { version: string }[];
    };
    expect(group.preferredVersion.version).toBe('v2');
    expect(group.versions.map((v) => v.version)).toEqual(['v2', 'v1']);
    expect(await ok('api-resources', '--api-group=autoscaling')).toMatch(
      /horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler/,
    );
  });
});
