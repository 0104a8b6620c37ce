import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../src/agent/agent.js';
import { DockerRuntime } from '../../src/agent/runtime/docker-runtime.js';
import { cleanupVolumes } from '../../src/agent/volumes.js';
import { KubeClient, type Pod, resources } from '../../src/client/index.js';
import { RecordingEvents } from '../../src/events.js';
import { type Dockerd, startDockerd } from '../harness/dockerd.js';
import { freePort } from '../harness/process.js';
import { type FakeApi, startFakeApi } from '../support/fake-api.js';
import { waitFor } from '../support/wait.js';

let dockerd: Dockerd;
let api: FakeApi;
let client: KubeClient;
let runtime: DockerRuntime;
let agent: Agent;
let dataDir: string;
const events = new RecordingEvents();

const makeAgent = () =>
  buildAgent({
    client,
    runtime,
    identity: {
      name: 'node-a',
      hostname: 'node-a',
      internalIP: '127.0.0.1',
      zone: 'us-east-1a',
      region: 'us-east-1',
      group: 'workers',
    },
    dataDir,
    events,
    labels: { extra: 'yes' },
    taints: [{ key: 'dedicated', value: 'test', effect: 'NoSchedule' }],
    syncIntervalMs: 300,
    leaseRenewMs: 1_000,
    backoff: { baseMs: 300, maxMs: 2_000 },
    orphanGraceSeconds: 1,
  });

beforeAll(async () => {
  dockerd = await startDockerd();
  api = await startFakeApi();
  client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  runtime = new DockerRuntime({ socketPath: dockerd.socketPath });
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-agent-${process.pid}-`));
  agent = makeAgent();
  await agent.start();
});
afterAll(async () => {
  await agent?.stop();
  await runtime?.close();
  client?.close();
  await api?.close();
  await dockerd?.stop();
  if (dataDir) {
    for (const uid of readdirSync(join(dataDir, 'pods'))) await cleanupVolumes(dataDir, uid);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const getPod = (name: string) => client.get<Pod>(resources.pods, name, 'default');
const statusOf = async (name: string, container = 'main') =>
  (await getPod(name)).status?.containerStatuses?.find((c) => c.name === container);

async function createPod(name: string, spec: Partial<Pod['spec']>, containers: Pod['spec']['containers']) {
  return client.create<Pod>(resources.pods, {
    metadata: { name, namespace: 'default' },
    spec: { nodeName: 'node-a', terminationGracePeriodSeconds: 2, containers, ...spec },
  });
}

const sh = (script: string) => ({
  name: 'main',
  image: 'local/busybox:latest',
  command: ['sh', '-c', script],
});

describe('node agent with a real dockerd and the fake API', () => {
  it('registers the node with labels, taints, addresses and conditions, and holds a lease', async () => {
    const node = api.get('nodes', '', 'node-a') as {
      metadata: { labels: Record<string, string> };
      spec: { taints: unknown[] };
      status: {
        conditions: { type: string; status: string }[];
        addresses: unknown[];
        daemonEndpoints: unknown;
        capacity: Record<string, string>;
      };
    };
    expect(node.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'node-a',
      'topology.kubernetes.io/zone': 'us-east-1a',
      'topology.kubernetes.io/region': 'us-east-1',
      'tugboat.dev/group': 'workers',
      extra: 'yes',
    });
    expect(node.spec.taints).toEqual([{ key: 'dedicated', value: 'test', effect: 'NoSchedule' }]);
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status.conditions.find((c) => c.type === 'MemoryPressure')?.status).toBe('False');
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(node.status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(Number(node.status.capacity.pods)).toBe(110);
    const lease = api.get('leases', 'kube-node-lease', 'node-a', 'coordination.k8s.io') as {
      spec: { renewTime: string; holderIdentity: string };
    };
    expect(lease.spec.holderIdentity).toBe('node-a');
    const first = lease.spec.renewTime;
    await waitFor(
      () =>
        (api.get('leases', 'kube-node-lease', 'node-a', 'coordination.k8s.io') as typeof lease).spec
          .renewTime !== first,
      'lease renewal',
    );
  });

  it('runs a pod with env from a configMap and a secret volume with 0600 files', async () => {
    await client.create(resources.configMaps, {
      metadata: { name: 'cfg', namespace: 'default' },
      data: { greeting: 'ahoy', 'app.conf': 'x=1' },
    });
    await client.create(resources.secrets, {
      metadata: { name: 'sec', namespace: 'default' },
      data: { token: Buffer.from('s3cret').toString('base64') },
    });
    await createPod(
      'web',
      {
        volumes: [
          { name: 'conf', configMap: { name: 'cfg' } },
          { name: 'creds', secret: { secretName: 'sec' } },
          { name: 'scratch', emptyDir: {} },
        ],
      },
      [
        {
          name: 'main',
          image: 'local/busybox:latest',
          command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
            { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          volumeMounts: [
            { name: 'conf', mountPath: '/etc/conf', readOnly: true },
            { name: 'creds', mountPath: '/etc/creds', readOnly: true },
            { name: 'scratch', mountPath: '/scratch' },
          ],
          readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 },
          resources: { limits: { memory: '64Mi', cpu: '250m' } },
        },
      ],
    );
    const pod = await waitFor(async () => {
      const p = await getPod('web');
      return (
        p.status?.phase === 'Running' &&
        p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' &&
        p
      );
    }, 'web Running and Ready');
    expect(pod.status?.podIP).toMatch(/^172\.30\./);
    expect(pod.status?.hostIP).toBe('127.0.0.1');
    const id = pod.status?.containerStatuses?.[0]?.containerID?.replace('docker://', '') ?? '';
    const run = async (cmd: string) => {
      const s = await runtime.exec(id, { command: ['sh', '-c', cmd] });
      let out = '';
      s.stdout.on('data', (c) => {
        out += c;
      });
      await s.exitCode;
      return out.trim();
    };
    expect(await run('echo $GREETING $POD')).toBe('ahoy web');
    expect(await run('cat /etc/conf/app.conf')).toBe('x=1');
    expect(await run('cat /etc/creds/token; echo; stat -c %a /etc/creds/token')).toBe('s3cret\n600');
    const inspect = await dockerd.api.json<{ HostConfig: { Memory: number; NanoCpus: number } }>(
      'GET',
      `/containers/${id}/json`,
    );
    expect(inspect.HostConfig).toMatchObject({ Memory: 64 * 2 ** 20, NanoCpus: 250_000_000 });
  });

  it('restarts a container killed by hand with restartCount 1', async () => {
    const before = await statusOf('web');
    const id = before?.containerID?.replace('docker://', '') ?? '';
    await dockerd.api.json('POST', `/containers/${id}/kill`);
    const after = await waitFor(async () => {
      const s = await statusOf('web');
      return s?.restartCount === 1 && s.state.running && s;
    }, 'restart after kill');
    expect(after.lastState.terminated?.exitCode).toBe(137);
    expect(after.containerID).not.toBe(before?.containerID);
  });

  it('restarts a container whose liveness probe fails', async () => {
    await createPod('sick', {}, [
      {
        ...sh('touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 600'),
        livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
      },
    ]);
    await waitFor(async () => ((await statusOf('sick'))?.restartCount ?? 0) >= 1, 'liveness restart', 45_000);
    expect(events.codes()).toContain('agent.container.unhealthy');
    const reasons = () =>
      [...api.objects.values()]
        .filter(
          (o) => o.kind === 'Event' && (o.involvedObject as { name?: string } | undefined)?.name === 'sick',
        )
        .map((e) => String(e.reason));
    await waitFor(
      () => ['Started', 'Unhealthy', 'Killing'].every((r) => reasons().includes(r)),
      'pod events recorded',
    );
  });

  it('follows restartPolicy Never and OnFailure with exit codes', async () => {
    await createPod('once', { restartPolicy: 'Never' }, [sh('exit 3')]);
    await createPod('retry', { restartPolicy: 'OnFailure', volumes: [{ name: 'scratch', emptyDir: {} }] }, [
      {
        ...sh('test -f /scratch/x && exit 0; touch /scratch/x; exit 1'),
        volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
      },
    ]);
    const once = await waitFor(
      async () => ((await getPod('once')).status?.phase === 'Failed' ? getPod('once') : undefined),
      'once Failed',
    );
    expect(once.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
    });
    expect(once.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    const retry = await waitFor(async () => {
      const p = await getPod('retry');
      return p.status?.phase === 'Succeeded' ? p : undefined;
    }, 'retry Succeeded');
    expect(retry.status?.containerStatuses?.[0]?.restartCount).toBe(1);
  });

  it('reports a missing image as ErrImagePull then ImagePullBackOff', async () => {
    await createPod('noimg', {}, [
      { name: 'main', image: `127.0.0.1:${await freePort()}/nowhere/missing:1` },
    ]);
    const reasons = new Set<string>();
    await waitFor(async () => {
      const r = (await statusOf('noimg'))?.state.waiting?.reason;
      if (r) reasons.add(r);
      return reasons.has('ImagePullBackOff');
    }, 'ImagePullBackOff');
    expect((await getPod('noimg')).status?.phase).toBe('Pending');
  });

  it('terminates a deleted pod gracefully, then removes the pod object', async () => {
    await createPod('bye', {}, [sh('trap "echo got TERM; exit 0" TERM; while true; do sleep 0.2; done')]);
    await waitFor(async () => (await getPod('bye')).status?.phase === 'Running', 'bye Running');
    const id = (await statusOf('bye'))?.containerID?.replace('docker://', '') ?? '';
    await client.delete(resources.pods, 'bye', { namespace: 'default', gracePeriodSeconds: 5 });
    await waitFor(() => !api.get('pods', 'default', 'bye'), 'pod object removed');
    const left = await dockerd.api.json<{ Id: string }[]>('GET', '/containers/json', {
      query: { all: true },
    });
    expect(left.map((c) => c.Id)).not.toContain(id);
    expect(events.codes()).toContain('agent.pod.terminated');
  });

  it('adopts running containers after an agent restart without restarting them', async () => {
    const before = await statusOf('web');
    await agent.stop();
    agent = makeAgent();
    await agent.start();
    await agent.syncNow();
    await agent.syncNow();
    const after = await statusOf('web');
    expect(after?.containerID).toBe(before?.containerID);
    expect(after?.restartCount).toBe(before?.restartCount);
    expect(after?.state.running).toBeDefined();
  });

  it('removes containers of a pod that vanished from the API', async () => {
    await createPod('gone', {}, [sh('sleep 600')]);
    await waitFor(async () => (await getPod('gone')).status?.phase === 'Running', 'gone Running');
    const id = (await statusOf('gone'))?.containerID?.replace('docker://', '') ?? '';
    await client.delete(resources.pods, 'gone', { namespace: 'default', gracePeriodSeconds: 0 });
    await waitFor(async () => !(await runtime.list()).some((c) => c.id === id), 'orphan removed');
  });
});
