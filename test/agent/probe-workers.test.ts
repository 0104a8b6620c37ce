/**
 * Probes run on their own workers, not inside the pod sync pass: with the runtime's container list
 * held (a sync pass that cannot finish, as a Docker daemon under load makes it), a failing
 * readiness probe still writes Ready=False; startup probes gate liveness and report `started`; a
 * failing startup probe restarts the container; workers end with their containers and pods.
 * Process runtime, exec probes on files the test creates and removes, the fake API server.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../src/agent/agent.js';
import { ProcessRuntime } from '../../src/agent/runtime/process-runtime.js';
import { KubeClient, type Pod, resources } from '../../src/client/index.js';
import { type FakeApi, startFakeApi } from '../support/fake-api.js';
import { waitFor } from '../support/wait.js';

/** A runtime whose container list can be held: every sync pass then waits in its first call. */
class HeldListRuntime extends ProcessRuntime {
  started = 0;
  ended = 0;
  private gate: Promise<void> | undefined;
  private open: () => void = () => undefined;

  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }

  release(): void {
    this.gate = undefined;
    this.open();
  }

  override async list() {
    this.started++;
    try {
      await this.gate;
      return await super.list();
    } finally {
      this.ended++;
    }
  }
}

let api: FakeApi;
let client: KubeClient;
let runtime: HeldListRuntime;
let agent: Agent;
let dir: string;

beforeAll(async () => {
  api = await startFakeApi();
  client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  dir = mkdtempSync(join(tmpdir(), `tugboat-probes-workers-${process.pid}-`));
  runtime = new HeldListRuntime({ dataDir: join(dir, 'runtime') });
  agent = buildAgent({
    client,
    runtime,
    identity: { name: 'probes-node', hostname: 'probes-node', internalIP: '127.0.0.1' },
    dataDir: join(dir, 'agent'),
    backoff: { baseMs: 200, maxMs: 1_000 },
  });
  await agent.start();
});

afterAll(async () => {
  runtime?.release();
  await agent?.stop();
  await runtime?.close();
  client?.close();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

const podOf = (name: string) => client.get<Pod>(resources.pods, name, 'default');
const condition = async (name: string, type = 'Ready') =>
  (await podOf(name)).status?.conditions?.find((c) => c.type === type)?.status;
const container = async (name: string) => (await podOf(name)).status?.containerStatuses?.[0];
const eventMessages = (pod: string) =>
  [...api.objects.values()]
    .filter((o) => o.kind === 'Event' && (o.involvedObject as { name?: string })?.name === pod)
    .map((o) => `${o.reason}: ${o.message}`);

async function createPod(
  name: string,
  containerSpec: Record<string, unknown>,
  podSpec: Record<string, unknown> = {},
): Promise<void> {
  await client.create<Pod>(resources.pods, {
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: 'probes-node',
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: 'ignored', command: ['sleep', '600'], ...containerSpec }],
      ...podSpec,
    },
  } as Pod);
}

async function deletePod(name: string): Promise<void> {
  await client.delete(resources.pods, name, { namespace: 'default' });
  await waitFor(
    async () =>
      !(await client.list<Pod>(resources.pods, { namespace: 'default' })).items.some(
        (p) => p.metadata.name === name,
      ),
    `${name} gone`,
    60_000,
  );
}

it('writes Ready=False from a failing readiness probe while the sync pass is stuck', async () => {
  const file = join(dir, 'ready');
  writeFileSync(file, '');
  await createPod('held', {
    readinessProbe: { exec: { command: ['test', '-f', file] }, periodSeconds: 1, failureThreshold: 1 },
  });
  await waitFor(async () => (await condition('held')) === 'True', 'held Ready=True', 60_000);
  runtime.hold();
  // A pass is in its (held) container list: no pass can finish until the test releases it.
  await waitFor(() => runtime.started > runtime.ended, 'a sync pass waiting in its list', 60_000);
  const endedBefore = runtime.ended;
  rmSync(file);
  await waitFor(async () => (await condition('held')) === 'False', 'held Ready=False', 60_000);
  expect(runtime.ended).toBe(endedBefore);
  expect((await container('held'))?.ready).toBe(false);
  expect(await condition('held', 'ContainersReady')).toBe('False');
  // And back, still without a pass.
  writeFileSync(file, '');
  await waitFor(async () => (await condition('held')) === 'True', 'held Ready=True again', 60_000);
  expect(runtime.ended).toBe(endedBefore);
  runtime.release();
  await deletePod('held');
}, 240_000);

it('gates liveness on the startup probe and reports started only once it succeeds', async () => {
  const startedFile = join(dir, 'started');
  const runs = join(dir, 'startup-runs');
  await createPod('slow-start', {
    startupProbe: {
      exec: { command: ['sh', '-c', `echo x >> ${runs}; test -f ${startedFile}`] },
      periodSeconds: 1,
      failureThreshold: 600,
    },
    // Would restart the container at once if it ran before the startup probe succeeded.
    livenessProbe: {
      exec: { command: ['test', '-f', join(dir, 'never')] },
      periodSeconds: 1,
      failureThreshold: 1,
    },
  });
  await waitFor(async () => (await container('slow-start'))?.state?.running, 'slow-start running', 60_000);
  const runCount = () => (existsSync(runs) ? readFileSync(runs, 'utf8').split('\n').length - 1 : 0);
  await waitFor(() => runCount() >= 3, 'three startup probe runs', 60_000);
  const before = await container('slow-start');
  expect(before?.started).toBe(false);
  expect(before?.ready).toBe(false);
  expect(before?.restartCount).toBe(0);
  expect(await condition('slow-start')).toBe('False');
  writeFileSync(startedFile, '');
  // Started, and then the liveness probe (no longer gated) fails and restarts it.
  await waitFor(
    async () => ((await container('slow-start'))?.restartCount ?? 0) >= 1,
    'liveness restart',
    60_000,
  );
  await waitFor(
    () => eventMessages('slow-start').some((m) => m.startsWith('Unhealthy: Liveness probe failed')),
    'Unhealthy event',
    30_000,
  );
  await deletePod('slow-start');
}, 240_000);

it('restarts a container whose startup probe fails failureThreshold times', async () => {
  await createPod('never-starts', {
    startupProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 },
  });
  await waitFor(
    async () => ((await container('never-starts'))?.restartCount ?? 0) >= 1,
    'startup failure restart',
    60_000,
  );
  const events = eventMessages('never-starts');
  expect(events.some((m) => m.startsWith('Unhealthy: Startup probe failed'))).toBe(true);
  expect(events).toContain('Killing: Container main failed startup probe, will be restarted');
  await deletePod('never-starts');
}, 240_000);

it('stops the workers of containers that exit and of pods that go', async () => {
  const probe = { exec: { command: ['true'] }, periodSeconds: 1 };
  await createPod(
    'short',
    { command: ['sh', '-c', 'sleep 3'], readinessProbe: probe, livenessProbe: probe },
    { restartPolicy: 'Never' },
  );
  await waitFor(async () => (await condition('short')) === 'True', 'short Ready=True', 60_000);
  expect(agent.podSync.probes.workerCount).toBe(2);
  await waitFor(async () => (await container('short'))?.state?.terminated, 'short exited', 60_000);
  expect(agent.podSync.probes.workerCount).toBe(0);
  await deletePod('short');
  await createPod('long', { readinessProbe: probe });
  await waitFor(async () => (await condition('long')) === 'True', 'long Ready=True', 60_000);
  expect(agent.podSync.probes.workerCount).toBe(1);
  await deletePod('long');
  expect(agent.podSync.probes.workerCount).toBe(0);
}, 240_000);
