import { rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/client/client.js';
import { clientHpaApi } from '../../../src/control-plane/controllers/hpa-api.js';
import { type ControlLoops, startControllers } from '../../../src/control-plane/controllers/start.js';
import { clientControllerApi } from '../../../src/control-plane/machinery/client-api.js';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { Deployment, HorizontalPodAutoscaler, KubeEvent, Node, Pod } from '../../../src/kube/index.js';
import {
  type RunningApiServer,
  startAgentFacingApiServer,
  writeKubeconfig,
} from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { runKubectl } from '../../support/control-cluster.js';
import { SimNodes, waitFor } from '../../support/sim-nodes.js';

// The horizontal pod autoscaler end to end: the real API server with its metrics scraper reading
// a stand-in node's /stats/summary (usage the test sets), the scheduler and controllers running as
// system:kube-controller-manager (so its RBAC rules are exercised), and kubectl to drive and watch.

const NODE = 'hpa-node';
const SYNC_MS = 500;

let pki: TestPki;
let srv: RunningApiServer;
let admin: KubeClient;
let loopsClient: KubeClient;
let nodesClient: KubeClient;
let sim: SimNodes;
let loops: ControlLoops;
let stats: https.Server;
let env: NodeJS.ProcessEnv;
/** CPU each pod of the node uses, in millicores; per pod name prefix. */
const cpuByPrefix = new Map<string, number>();
let summaries = 0;

const kubectl = (...args: string[]) => runKubectl(env, args, 60_000);
const ok = async (...args: string[]) => {
  const r = await kubectl(...args);
  expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};

/** A Summary API answer for every pod bound to the node, with the usage the test set. */
async function summary(): Promise<unknown> {
  summaries++;
  const now = new Date().toISOString();
  const cpu = (m: number) => ({ time: now, usageNanoCores: m * 1e6, usageCoreNanoSeconds: 1 });
  const mem = { time: now, usageBytes: 1 << 20, workingSetBytes: 1 << 20 };
  const { items } = await admin.list<Pod>(resourceTypes.pods);
  const pods = items
    .filter((p) => p.spec.nodeName === NODE && p.status?.phase === 'Running')
    .map((p) => {
      const prefix = [...cpuByPrefix.keys()].find((k) => p.metadata.name?.startsWith(k));
      const m = prefix ? (cpuByPrefix.get(prefix) ?? 0) : 0;
      return {
        podRef: { name: p.metadata.name, namespace: p.metadata.namespace, uid: p.metadata.uid },
        startTime: now,
        containers: p.spec.containers.map((c) => ({
          name: c.name,
          startTime: now,
          cpu: cpu(m),
          memory: mem,
        })),
        cpu: cpu(m),
        memory: mem,
      };
    });
  return { node: { nodeName: NODE, startTime: now, cpu: cpu(100), memory: mem }, pods };
}

beforeAll(async () => {
  pki = makeTestPki();
  srv = await startAgentFacingApiServer(pki, { metrics: { intervalMs: 300, timeoutMs: 2_000 } });
  admin = new KubeClient({ server: srv.url, ca: pki.ca.cert, ...pki.client('admin', ['system:masters']) });
  stats = https.createServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => {
    if (req.url !== '/stats/summary') {
      res.writeHead(404).end();
      return;
    }
    summary().then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((r) => stats.listen(0, '127.0.0.1', r));
  nodesClient = new KubeClient({
    server: srv.url,
    ca: pki.ca.cert,
    ...pki.client('sim-nodes', ['system:masters']),
  });
  sim = new SimNodes(clientControllerApi(nodesClient), 100);
  await sim.add(NODE);
  const node = (await admin.get<Node>(resourceTypes.nodes, NODE)) as Node;
  await admin.updateStatus(resourceTypes.nodes, {
    ...node,
    status: {
      ...node.status,
      daemonEndpoints: { kubeletEndpoint: { Port: (stats.address() as AddressInfo).port } },
    },
  } as Node);
  sim.start();
  loopsClient = new KubeClient({
    server: srv.url,
    ca: pki.ca.cert,
    ...pki.client('system:kube-controller-manager', []),
  });
  loops = startControllers({
    api: clientControllerApi(loopsClient),
    leaderElection: false,
    controllers: { hpaApi: clientHpaApi(loopsClient), hpaSyncPeriodMs: SYNC_MS },
  });
  env = {
    PATH: process.env.PATH,
    HOME: pki.dir,
    KUBECONFIG: writeKubeconfig(pki, srv.url, pki.client('admin', ['system:masters'])),
  };
});

afterAll(async () => {
  sim?.stop();
  await loops?.stop();
  loopsClient?.close();
  nodesClient?.close();
  admin?.close();
  await new Promise((r) => stats?.close(r));
  await srv?.stop();
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

const hpaOf = (name: string) =>
  admin.get<HorizontalPodAutoscaler>(resourceTypes.horizontalpodautoscalers, name, 'default');
const replicasOf = async (name: string) =>
  (await admin.get<Deployment>(resourceTypes.deployments, name, 'default')).spec.replicas;
const eventsOf = async (name: string) =>
  (await admin.list<KubeEvent>(resourceTypes.events, { namespace: 'default' })).items.filter(
    (e) => e.involvedObject?.name === name && e.involvedObject.kind === 'HorizontalPodAutoscaler',
  );

describe('horizontal pod autoscaling', () => {
  it('scales a busy deployment up, then down after the (shortened) stabilization window', async () => {
    cpuByPrefix.set('web-', 200);
    await ok('create', 'deployment', 'web', '--image=busybox', '--replicas=1');
    await ok('set', 'resources', 'deployment', 'web', '--requests=cpu=100m');
    await ok('autoscale', 'deployment', 'web', '--min=1', '--max=4', '--cpu-percent=50');
    await ok(
      'patch',
      'hpa',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":3}}}}',
    );
    // 200% of the request against a 50% target: ratio 4 → 4 pods (the scale-up limit is 1+4).
    await waitFor('the deployment is scaled to 4', async () => (await replicasOf('web')) === 4, 60_000);
    await waitFor(
      'the HPA reports 4 current replicas',
      async () => (await hpaOf('web'))?.status?.currentReplicas === 4,
    );
    expect(await ok('get', 'hpa', 'web')).toMatch(/web\s+Deployment\/web\s+cpu: 200%\/50%\s+1\s+4\s+4\s+/);
    expect(await ok('get', 'deployment', 'web')).toMatch(/web\s+\d\/4\s+/);
    const rescales = (await eventsOf('web')).filter((e) => e.reason === 'SuccessfulRescale');
    expect(rescales.map((e) => e.message)).toContain(
      'New size: 4; reason: cpu resource utilization (percentage of request) above target',
    );
    // Once all 4 pods have metrics (new pods have none for a sync or two), 200% asks for 16: limited.
    await waitFor('the HPA is limited by its maximum', async () => {
      const c = (await hpaOf('web'))?.status?.conditions?.find((x) => x.type === 'ScalingLimited');
      return c?.status === 'True' && c.reason === 'TooManyReplicas';
    });
    const described = await ok('describe', 'hpa', 'web');
    expect(described).toMatch(/AbleToScale\s+True/);
    expect(described).toMatch(/ScalingActive\s+True\s+ValidMetricFound/);
    expect(described).toMatch(/ScalingLimited\s+True\s+TooManyReplicas/);
    expect(described).toMatch(/Deployment pods:\s+4 current \/ 4 desired/);

    // Idle: 10% → ceil(0.2 × 4) = 1 once the 3 s window has passed.
    cpuByPrefix.set('web-', 10);
    // First the window holds the count at 4 (the highest recent recommendation), then it lets go.
    const held = await waitFor('the scale-down is stabilized', async () => {
      const h = await hpaOf('web');
      const c = h?.status?.conditions?.find((x) => x.type === 'AbleToScale');
      return c?.reason === 'ScaleDownStabilized' ? h : undefined;
    });
    expect(held.status?.desiredReplicas).toBe(4);
    await waitFor('the deployment is scaled back to 1', async () => (await replicasOf('web')) === 1, 60_000);
    expect(await ok('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}')).toBe('1');
    const down = (await eventsOf('web')).map((e) => e.message);
    expect(down).toContain('New size: 1; reason: All metrics below target');
    const h = await hpaOf('web');
    expect(h?.status?.lastScaleTime).toBeDefined();
    expect(h?.status?.desiredReplicas).toBe(1);
  }, 120_000);

  it('says why for a target without scale, a metric that does not exist and a target with no running pods, without a tight loop', async () => {
    await ok('create', 'configmap', 'settings', '--from-literal=a=b');
    // Its pods never schedule (no node has the label): Pending pods have no metrics.
    const nowhere = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'nowhere' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'nowhere' } },
        template: {
          metadata: { labels: { app: 'nowhere' } },
          spec: {
            nodeSelector: { no: 'such-node' },
            containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: '100m' } } }],
          },
        },
      },
    };
    const created = await runKubectl(env, ['create', '-f', '-'], 60_000, JSON.stringify(nowhere));
    expect(created.code, created.stderr).toBe(0);
    await ok('create', 'deployment', 'gpu', '--image=busybox', '--replicas=1');
    const hpas = [
      { name: 'settings', ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'settings' }, metric: 'cpu' },
      { name: 'gpu', ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gpu' }, metric: 'gpu' },
      { name: 'nowhere', ref: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nowhere' }, metric: 'cpu' },
      {
        name: 'unknown',
        ref: { apiVersion: 'nosuch.example.com/v1', kind: 'Thing', name: 'x' },
        metric: 'cpu',
      },
    ];
    const started = Date.now();
    for (const h of hpas) {
      const target =
        h.metric === 'cpu'
          ? { type: 'Utilization', averageUtilization: 50 }
          : { type: 'AverageValue', averageValue: '900000000000000' };
      const manifest = {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: h.name },
        spec: {
          scaleTargetRef: h.ref,
          minReplicas: 1,
          maxReplicas: 2147483647,
          metrics: [{ type: 'Resource', resource: { name: h.metric, target } }],
        },
      };
      const r = await runKubectl(env, ['create', '-f', '-'], 60_000, JSON.stringify(manifest));
      expect(r.code, r.stderr).toBe(0);
    }
    const condition = async (name: string, type: string) =>
      (await hpaOf(name))?.status?.conditions?.find((c) => c.type === type);
    const noScale = await waitFor(
      'the ConfigMap HPA says it cannot scale',
      () => condition('settings', 'AbleToScale'),
      30_000,
    );
    expect(noScale).toMatchObject({ status: 'False', reason: 'FailedGetScale' });
    expect(noScale.message).toBe(
      'the HPA controller was unable to get the target\'s current scale: configmaps has no subresource "scale"',
    );
    const unknown = await waitFor('the HPA of an unknown kind says why', () =>
      condition('unknown', 'AbleToScale'),
    );
    expect(unknown.message).toBe(
      'the HPA controller was unable to get the target\'s current scale: no matches for kind "Thing" in group "nosuch.example.com"',
    );
    const gpu = await waitFor(
      'the gpu HPA says why',
      async () => {
        const c = await condition('gpu', 'ScalingActive');
        return c?.status === 'False' ? c : undefined;
      },
      30_000,
    );
    expect(gpu).toMatchObject({ reason: 'FailedGetResourceMetric' });
    expect(gpu.message).toContain('failed to get gpu usage');
    const pending = await waitFor(
      'the HPA of a deployment without running pods says why',
      async () => {
        const c = await condition('nowhere', 'ScalingActive');
        return c?.status === 'False' ? c : undefined;
      },
      30_000,
    );
    expect(pending.message).toContain(
      'unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    );
    const described = await ok('describe', 'hpa', 'settings');
    expect(described).toMatch(/AbleToScale\s+False\s+FailedGetScale/);
    // Nothing was scaled, and the retries stay at the sync period: one Event write per pass at most.
    expect(await replicasOf('gpu')).toBe(1);
    expect(await replicasOf('nowhere')).toBe(1);
    await new Promise((r) => setTimeout(r, 2_000));
    const passes = Math.ceil((Date.now() - started) / SYNC_MS) + 2;
    for (const name of ['settings', 'gpu', 'nowhere', 'unknown']) {
      const counts = (await eventsOf(name)).map((e) => e.count ?? 1);
      expect(counts.length).toBeGreaterThan(0);
      for (const c of counts) expect(c).toBeLessThanOrEqual(passes);
    }
    expect(summaries).toBeGreaterThan(0);
  }, 120_000);
});
