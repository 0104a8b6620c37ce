import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../src/agent/agent.js';
import { DockerRuntime } from '../../src/agent/runtime/docker-runtime.js';
import { type AgentServer, buildAgentServer } from '../../src/agent/server/agent-server.js';
import { cleanupVolumes } from '../../src/agent/volumes.js';
import { KubeClient, type Pod, resources } from '../../src/client/index.js';
import { type ControlLoops, startControllers } from '../../src/control-plane/controllers/start.js';
import { clientControllerApi } from '../../src/control-plane/machinery/client-api.js';
import { type Dockerd, startDockerd } from '../harness/dockerd.js';
import { type RunningApiServer, startAgentFacingApiServer, writeKubeconfig } from '../support/api-server.js';
import { makeTestPki, type TestPki } from '../support/certs.js';
import { waitFor } from '../support/wait.js';

interface Node {
  name: string;
  client: KubeClient;
  runtime: DockerRuntime;
  server: AgentServer;
  agent: Agent;
  dataDir: string;
}

let pki: TestPki;
let srv: RunningApiServer;
let dockerd: Dockerd;
let admin: KubeClient;
let loops: ControlLoops;
const nodes: Node[] = [];
let env: NodeJS.ProcessEnv;

const kubectl = (args: readonly string[], input?: string) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile('kubectl', [...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });

const ok = async (args: readonly string[], input?: string) => {
  const r = await kubectl(args, input);
  expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
};

async function startNode(name: string): Promise<Node> {
  const cert = pki.client(`node:${name}`, ['tugboat:nodes']);
  const client = new KubeClient({ server: srv.url, ca: pki.ca.cert, ...cert });
  const runtime = new DockerRuntime({ socketPath: dockerd.socketPath, nodeName: name });
  const server = buildAgentServer({
    runtime,
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
  });
  await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', r));
  const dataDir = mkdtempSync(join(tmpdir(), `tugboat-cluster-${name}-${process.pid}-`));
  const agent = makeAgent(name, client, runtime, dataDir, (server.server.address() as AddressInfo).port);
  await agent.start();
  return { name, client, runtime, server, agent, dataDir };
}

function makeAgent(
  name: string,
  client: KubeClient,
  runtime: DockerRuntime,
  dataDir: string,
  port: number,
): Agent {
  return buildAgent({
    client,
    runtime,
    identity: {
      name,
      hostname: name,
      internalIP: '127.0.0.1',
      zone: name === 'node-a' ? 'zone-a' : 'zone-b',
      group: 'workers',
    },
    dataDir,
    port,
    syncIntervalMs: 500,
    backoff: { baseMs: 500, maxMs: 5_000 },
  });
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 3
      containers:
      - name: web
        image: local/busybox:latest
        command: [sh, -c, 'echo started $(hostname); exec httpd -f -p 8080 -h /www']
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /index.html, port: 8080}, periodSeconds: 1}
`;

beforeAll(async () => {
  pki = makeTestPki();
  srv = await startAgentFacingApiServer(pki);
  admin = new KubeClient({ server: srv.url, ca: pki.ca.cert, ...pki.client('admin', ['system:masters']) });
  loops = startControllers({ api: clientControllerApi(admin), leaderElection: false });
  dockerd = await startDockerd();
  nodes.push(await startNode('node-a'), await startNode('node-b'));
  env = {
    PATH: process.env.PATH,
    HOME: pki.dir,
    KUBECONFIG: writeKubeconfig(pki, srv.url, pki.client('admin', ['system:masters'])),
  };
});

afterAll(async () => {
  for (const n of nodes) {
    await n.agent.stop();
    await n.server.close();
    await n.runtime.close();
    n.client.close();
  }
  await loops?.stop();
  admin?.close();
  await srv?.stop();
  await dockerd?.stop();
  for (const n of nodes) {
    const pods = join(n.dataDir, 'pods');
    for (const uid of existsSync(pods) ? readdirSync(pods) : []) await cleanupVolumes(n.dataDir, uid);
    rmSync(n.dataDir, { recursive: true, force: true });
  }
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

const webPods = async () =>
  (await admin.list<Pod>(resources.pods, { namespace: 'default', labelSelector: { app: 'web' } })).items;

describe('a control plane and two agents with a real dockerd, driven by kubectl', () => {
  it('registers both nodes Ready', async () => {
    const out = await ok(['get', 'nodes']);
    expect(out).toMatch(/node-a\s+Ready/);
    expect(out).toMatch(/node-b\s+Ready/);
  });

  it('runs a Deployment of busybox httpd pods Running with pod IPs on both nodes', async () => {
    await ok(['apply', '-f', '-'], deployment);
    const pods = await waitFor(
      async () => {
        const items = await webPods();
        const ready = items.filter(
          (p) =>
            p.status?.phase === 'Running' &&
            p.status.podIP &&
            p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length === 2 && items.length === 2 && ready;
      },
      'two web pods Running and Ready',
      90_000,
    );
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set(['node-a', 'node-b']));
    const wide = await ok(['get', 'pods', '-o', 'wide']);
    for (const p of pods) {
      expect(wide).toMatch(
        new RegExp(
          `${p.metadata.name}\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${p.status?.podIP?.replaceAll('.', '\\.')}\\s+${p.spec.nodeName}`,
        ),
      );
    }
  });

  it('serves kubectl logs and kubectl exec through the agent', async () => {
    const [pod] = await webPods();
    const name = pod?.metadata.name ?? '';
    expect(await ok(['logs', name])).toMatch(/^started /);
    expect(await ok(['exec', name, '--', 'ls', '/'])).toContain('www');
    const failed = await kubectl(['exec', name, '--', 'sh', '-c', 'echo oops >&2; exit 3']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('oops');
    expect(await ok(['exec', '-i', name, '--', 'cat'], 'piped through stdin\n')).toBe(
      'piped through stdin\n',
    );
  });

  it('follows logs with kubectl logs -f', async () => {
    const [pod] = await webPods();
    const name = pod?.metadata.name ?? '';
    const follow = spawn('kubectl', ['logs', '-f', name], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follow.stdout.on('data', (c) => {
      out += c;
    });
    try {
      await waitFor(() => out.includes('started'), 'first line of the followed log');
      await ok(['exec', name, '--', 'sh', '-c', 'echo appended later > /proc/1/fd/1']);
      await waitFor(() => out.includes('appended later'), 'a line written after following began');
    } finally {
      follow.kill('SIGTERM');
    }
  });

  it('brings back a container killed by hand with restartCount 1 and keeps its previous logs', async () => {
    const [pod] = await webPods();
    const name = pod?.metadata.name ?? '';
    const id = pod?.status?.containerStatuses?.[0]?.containerID?.replace('docker://', '') ?? '';
    await dockerd.api.json('POST', `/containers/${id}/kill`);
    await waitFor(
      async () =>
        (await ok(['get', 'pod', name, '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])) ===
        '1',
      'restartCount 1',
      60_000,
    );
    await waitFor(
      async () =>
        (await admin.get<Pod>(resources.pods, name, 'default')).status?.containerStatuses?.[0]?.state.running,
      'running again',
    );
    expect(await ok(['logs', name, '--previous'])).toMatch(/^started /);
  });

  it('leaves healthy containers running when an agent restarts', async () => {
    const node = nodes[0] as Node;
    const before = (await webPods())
      .filter((p) => p.spec.nodeName === node.name)
      .map((p) => p.status?.containerStatuses?.[0]);
    expect(before.length).toBeGreaterThan(0);
    await node.agent.stop();
    node.agent = makeAgent(
      node.name,
      node.client,
      node.runtime,
      node.dataDir,
      (node.server.server.address() as AddressInfo).port,
    );
    await node.agent.start();
    await node.agent.syncNow();
    await new Promise((r) => setTimeout(r, 2_000));
    const after = (await webPods())
      .filter((p) => p.spec.nodeName === node.name)
      .map((p) => p.status?.containerStatuses?.[0]);
    expect(after.map((s) => [s?.containerID, s?.restartCount])).toEqual(
      before.map((s) => [s?.containerID, s?.restartCount]),
    );
    expect(after.every((s) => s?.state.running)).toBe(true);
  });

  it('stops a deleted pod within its grace period and the Deployment replaces it', async () => {
    const [pod] = await webPods();
    const name = pod?.metadata.name ?? '';
    const node = nodes.find((n) => n.name === pod?.spec.nodeName);
    await ok(['delete', 'pod', name, '--wait=true', '--timeout=60s']);
    const left = (await node?.runtime.list())?.filter((c) => c.podName === name) ?? [];
    expect(left).toEqual([]);
    const events = await ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`]);
    expect(events).toMatch(/Normal\s+Started\s+pod\/\S+\s+Started container web/);
    expect(events).toMatch(/Normal\s+Killing\s+pod\/\S+\s+Stopping container web/);
    await waitFor(
      async () => (await webPods()).filter((p) => p.status?.phase === 'Running').length === 2,
      'replacement Running',
      90_000,
    );
  });

  it('restarts a container whose liveness probe fails, and mounts secret files 0600', async () => {
    const pod = `apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {token: s3cr3t}
---
apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: local/busybox:latest
    command: [sh, -c, 'touch /tmp/healthy; sleep 3; rm /tmp/healthy; sleep 3600']
    livenessProbe: {exec: {command: [test, -f, /tmp/healthy]}, periodSeconds: 1, failureThreshold: 2}
    volumeMounts: [{name: creds, mountPath: /creds, readOnly: true}]
  volumes: [{name: creds, secret: {secretName: creds}}]
`;
    await ok(['apply', '-f', '-'], pod);
    await waitFor(
      async () =>
        (await admin.get<Pod>(resources.pods, 'probed', 'default')).status?.containerStatuses?.[0]?.state
          .running,
      'probed running',
      60_000,
    );
    expect(await ok(['exec', 'probed', '--', 'stat', '-L', '-c', '%a', '/creds/token'])).toBe('600\n');
    expect(await ok(['exec', 'probed', '--', 'cat', '/creds/token'])).toBe('s3cr3t');
    await waitFor(
      async () =>
        ((await admin.get<Pod>(resources.pods, 'probed', 'default')).status?.containerStatuses?.[0]
          ?.restartCount ?? 0) >= 1,
      'a liveness restart',
      60_000,
    );
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=probed']);
    expect(events).toMatch(/Unhealthy/);
    await ok(['delete', 'pod', 'probed', '--wait=true', '--timeout=60s']);
  });
});
