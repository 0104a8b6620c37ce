import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../../src/agent/agent.js';
import { DockerRuntime } from '../../../src/agent/runtime/docker-runtime.js';
import { type AgentServer, buildAgentServer } from '../../../src/agent/server/agent-server.js';
import { buildSummaryCollector } from '../../../src/agent/stats/summary.js';
import { KubeClient, type Pod, resources } from '../../../src/client/index.js';
import { RecordingEvents } from '../../../src/events.js';
import type { Node } from '../../../src/kube/index.js';
import { type Dockerd, startDockerd } from '../../harness/dockerd.js';
import {
  type RunningApiServer,
  startAgentFacingApiServer,
  writeKubeconfig,
} from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { runKubectl } from '../../support/control-cluster.js';
import { waitFor } from '../../support/wait.js';

const NODE = 'metrics-node';
let pki: TestPki;
let srv: RunningApiServer;
let dockerd: Dockerd;
let admin: KubeClient;
let runtime: DockerRuntime;
let agentServer: AgentServer;
let agent: Agent;
let dataDir: string;
let env: NodeJS.ProcessEnv;
let hanging: net.Server;
let garbage: https.Server;
const hangingSockets = new Set<net.Socket>();
const events = new RecordingEvents();

const kubectl = (...args: string[]) => runKubectl(env, args, 60_000);
const ok = async (...args: string[]) => {
  const r = await kubectl(...args);
  expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};

const pod = (name: string, script: string): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'main', image: 'local/busybox:latest', command: ['sh', '-c', script] }],
    },
  }) as Pod;

/** A Ready Node whose "agent" is at 127.0.0.1:`port` (a server that hangs or answers garbage). */
async function fakeNode(name: string, port: number): Promise<void> {
  const created = await admin.create<Node>(resources.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
  } as Node);
  await admin.updateStatus(resources.nodes, {
    ...created,
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
    },
  } as Node);
}

beforeAll(async () => {
  pki = makeTestPki();
  srv = await startAgentFacingApiServer(pki, {
    metrics: { intervalMs: 1000, timeoutMs: 1500 },
    events,
  });
  admin = new KubeClient({ server: srv.url, ca: pki.ca.cert, ...pki.client('admin', ['system:masters']) });
  dockerd = await startDockerd();
  runtime = new DockerRuntime({ socketPath: dockerd.socketPath, nodeName: NODE });
  agentServer = buildAgentServer({
    runtime,
    stats: buildSummaryCollector({ runtime, nodeName: NODE }),
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
  });
  await new Promise<void>((r) => agentServer.server.listen(0, '127.0.0.1', r));
  dataDir = mkdtempSync(join(tmpdir(), 'tugboat-metrics-top-'));
  agent = buildAgent({
    client: new KubeClient({
      server: srv.url,
      ca: pki.ca.cert,
      ...pki.client(`system:node:${NODE}`, ['system:nodes']),
    }),
    runtime,
    identity: { name: NODE, hostname: NODE, internalIP: '127.0.0.1', zone: 'z', group: 'workers' },
    dataDir,
    port: (agentServer.server.address() as AddressInfo).port,
    syncIntervalMs: 500,
    backoff: { baseMs: 500, maxMs: 5_000 },
  });
  await agent.start();
  // Two more Ready nodes whose agents misbehave: one accepts and never answers, one answers junk.
  hanging = net.createServer((s) => {
    hangingSockets.add(s);
    s.on('close', () => hangingSockets.delete(s));
  });
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  garbage = https.createServer({ cert: pki.server.cert, key: pki.server.key }, (_req, res) =>
    res.end('{"node": "not a node", "pods": 7'),
  );
  await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
  env = {
    PATH: process.env.PATH,
    HOME: pki.dir,
    KUBECONFIG: writeKubeconfig(pki, srv.url, pki.client('admin', ['system:masters'])),
  };
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await agentServer?.close();
  for (const s of hangingSockets) s.destroy();
  await new Promise((r) => hanging?.close(r));
  await new Promise((r) => garbage?.close(r));
  await runtime?.close();
  admin?.close();
  await srv?.stop();
  await dockerd?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
}, 120_000);

/** `kubectl top pods` rows as name → millicores. */
async function topPods(...args: string[]): Promise<Map<string, number>> {
  const out = await ok('top', 'pods', '--no-headers', ...args);
  const rows = out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim().split(/\s+/));
  return new Map(rows.map((r) => [r[0]!, Number.parseInt(r[1] ?? '', 10)]));
}

describe('kubectl top against a control plane scraping an agent on a real dockerd', () => {
  it('runs a busy and an idle pod', async () => {
    await fakeNode('metrics-hang', (hanging.address() as AddressInfo).port);
    await fakeNode('metrics-junk', (garbage.address() as AddressInfo).port);
    await admin.create(resources.pods, pod('busy', 'while :; do :; done'));
    await admin.create(resources.pods, pod('idle', 'exec sleep 3600'));
    await waitFor(
      async () => {
        const items = (await admin.list<Pod>(resources.pods, { namespace: 'default' })).items;
        return items.filter((p) => p.status?.phase === 'Running').length === 2;
      },
      'both pods Running',
      90_000,
    );
  }, 120_000);

  it('serves the agent summary through the node proxy, and only to callers with nodes/proxy', async () => {
    const summary = JSON.parse(await ok('get', '--raw', `/api/v1/nodes/${NODE}/proxy/stats/summary`));
    expect(summary.node.nodeName).toBe(NODE);
    expect(summary.node.memory.workingSetBytes).toBeGreaterThan(0);
    const busy = summary.pods.find((p: { podRef: { name: string } }) => p.podRef.name === 'busy');
    expect(busy.containers[0].name).toBe('main');
    expect(busy.cpu.usageCoreNanoSeconds).toBeGreaterThan(0);
    const someone = pki.client('someone', []);
    const denied = await runKubectl(
      { ...env, KUBECONFIG: writeKubeconfig(pki, srv.url, someone, join(pki.dir, 'someone.kubeconfig')) },
      ['get', '--raw', `/api/v1/nodes/${NODE}/proxy/stats/summary`],
    );
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('cannot get resource "nodes/proxy"');
    const missing = await kubectl('get', '--raw', `/api/v1/nodes/${NODE}/proxy/no/such/path`);
    expect(missing.code).not.toBe(0);
  });

  it('shows non-zero figures in kubectl top pods that track the busy pod', async () => {
    const top = await waitFor(
      async () => {
        const rows = await topPods();
        // The runner's two cores are shared with other suites: "busy" gets what it can.
        return rows.has('busy') && rows.has('idle') && (rows.get('busy') ?? 0) > 150 && rows;
      },
      'kubectl top pods with the busy pod above 150m',
      60_000,
      1000,
    );
    expect(top.get('idle')).toBeLessThan(50);
    const selected = await topPods('-l', 'app=busy');
    expect([...selected.keys()]).toEqual(['busy']);
    const containers = await ok('top', 'pod', 'busy', '--containers', '--no-headers');
    expect(containers).toMatch(/^busy\s+main\s+\d+m\s+\d+Mi/);
  }, 90_000);

  it('shows the node in kubectl top nodes; the hanging and junk nodes are left out with events', async () => {
    const out = await ok('top', 'nodes', '--no-headers');
    const row = out.split('\n').find((l) => l.startsWith(`${NODE} `));
    expect(Number.parseInt(row?.trim().split(/\s+/)[1] ?? '', 10)).toBeGreaterThan(0);
    // As with metrics-server: nodes without figures are listed by kubectl with <unknown>.
    expect(out).toMatch(/^metrics-hang\s+<unknown>/m);
    expect(out).toMatch(/^metrics-junk\s+<unknown>/m);
    const failed = events.events.filter((e) => e.code === 'api.metrics.scrape-failed').map((e) => e.message);
    expect(failed.some((m) => m.includes('metrics-hang') && m.includes('no complete answer'))).toBe(true);
    expect(failed.some((m) => m.includes('metrics-junk') && m.includes('not JSON'))).toBe(true);
    const get = await ok('get', 'nodes.metrics.k8s.io', NODE, '-o', 'json');
    expect(JSON.parse(get)).toMatchObject({ kind: 'NodeMetrics', metadata: { name: NODE }, window: '1s' });
    const notFound = await kubectl('get', 'nodes.metrics.k8s.io', 'metrics-hang');
    expect(notFound.stderr).toContain('nodes.metrics.k8s.io "metrics-hang" not found');
  });

  it('drops a deleted pod from the figures', async () => {
    await admin.delete(resources.pods, 'busy', { namespace: 'default', gracePeriodSeconds: 0 });
    await waitFor(
      async () => !(await topPods()).has('busy'),
      'busy gone from kubectl top pods',
      60_000,
      1000,
    );
  }, 90_000);
});
