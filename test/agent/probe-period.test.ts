/**
 * Probes keep their period without the sync loop's tick: an agent whose periodic sync is far away
 * (syncIntervalMs 10 min) still runs a readiness probe every periodSeconds (its own worker) and
 * reports the pod unready, then ready again; a pod being deleted costs no extra passes.
 * Process runtime, exec probe on a file the test removes and restores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../src/agent/agent.js';
import { ProcessRuntime } from '../../src/agent/runtime/process-runtime.js';
import { KubeClient, type Pod, resources } from '../../src/client/index.js';
import { type FakeApi, startFakeApi } from '../support/fake-api.js';
import { waitFor } from '../support/wait.js';

let api: FakeApi;
let client: KubeClient;
/** Counts the runtime's container lists: one per sync pass. */
class CountingRuntime extends ProcessRuntime {
  lists = 0;
  override list() {
    this.lists++;
    return super.list();
  }
}

let runtime: CountingRuntime;
let agent: Agent;
let dir: string;

beforeAll(async () => {
  api = await startFakeApi();
  client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  dir = mkdtempSync(join(tmpdir(), `tugboat-readiness-wake-${process.pid}-`));
  runtime = new CountingRuntime({ dataDir: join(dir, 'runtime') });
  agent = buildAgent({
    client,
    runtime,
    identity: { name: 'wake-node', hostname: 'wake-node', internalIP: '127.0.0.1' },
    dataDir: join(dir, 'agent'),
    syncIntervalMs: 600_000,
  });
  await agent.start();
});

afterAll(async () => {
  await agent?.stop();
  await runtime?.close();
  client?.close();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

const readyCondition = async () =>
  (await client.get<Pod>(resources.pods, 'probed', 'default')).status?.conditions?.find(
    (c) => c.type === 'Ready',
  )?.status;

it('runs readiness probes on their period between the loop ticks', async () => {
  const file = join(dir, 'ready');
  writeFileSync(file, '');
  await client.create<Pod>(resources.pods, {
    metadata: { name: 'probed', namespace: 'default' },
    spec: {
      nodeName: 'wake-node',
      terminationGracePeriodSeconds: 3,
      containers: [
        {
          name: 'main',
          image: 'ignored',
          // Ignores SIGTERM, so its deletion takes the whole grace period.
          command: ['sh', '-c', 'trap "" TERM; sleep 600 & wait'],
          readinessProbe: { exec: { command: ['test', '-f', file] }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    },
  });
  await waitFor(async () => (await readyCondition()) === 'True', 'probed Ready=True', 60_000);
  rmSync(file);
  // No watch event and no tick comes now: only the probe's own wake-up can see the file go.
  await waitFor(async () => (await readyCondition()) === 'False', 'probed Ready=False', 60_000);
  writeFileSync(file, '');
  await waitFor(async () => (await readyCondition()) === 'True', 'probed Ready=True again', 60_000);
  const pod = await client.get<Pod>(resources.pods, 'probed', 'default');
  expect(pod.status?.containerStatuses?.[0]?.ready).toBe(true);
}, 200_000);

it('runs no extra sync passes for the probes of a pod being deleted', async () => {
  const before = runtime.lists;
  await client.delete(resources.pods, 'probed', { namespace: 'default' });
  await waitFor(
    async () =>
      !(await client.list<Pod>(resources.pods, { namespace: 'default' })).items.some(
        (p) => p.metadata.name === 'probed',
      ),
    'probed gone',
    60_000,
  );
  // Probes never start passes: a deletion with a 3 s grace costs a pass per watch event and tick.
  expect(runtime.lists - before).toBeLessThan(40);
}, 120_000);
