import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Agent, buildAgent } from '../../src/agent/agent.js';
import { ProcessRuntime } from '../../src/agent/runtime/process-runtime.js';
import { KubeClient, type Node, type Pod, resources } from '../../src/client/index.js';
import { type FakeApi, startFakeApi } from '../support/fake-api.js';
import { waitFor } from '../support/wait.js';

/** The process runtime with a switch that makes it unreachable, to drive the Ready condition. */
class FlakyRuntime extends ProcessRuntime {
  down = false;
  override async version(): Promise<string> {
    if (this.down) throw new Error('runtime socket refused');
    return super.version();
  }
}

let api: FakeApi;
let client: KubeClient;
let runtime: FlakyRuntime;
let agent: Agent;
let dataDir: string;

beforeAll(async () => {
  api = await startFakeApi();
  client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  dataDir = mkdtempSync(join(tmpdir(), `tugboat-agent-proc-${process.pid}-`));
  runtime = new FlakyRuntime({ dataDir });
  agent = buildAgent({
    client,
    runtime,
    identity: { name: 'dev-node', hostname: 'dev-node', internalIP: '127.0.0.1' },
    dataDir,
    syncIntervalMs: 200,
    nodeStatusMs: 200,
  });
  await agent.start();
});
afterAll(async () => {
  await agent?.stop();
  await runtime?.close();
  client?.close();
  await api?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('runs a pod as host processes and reports the node as not isolated', async () => {
  await client.create<Pod>(resources.pods, {
    metadata: { name: 'dev', namespace: 'default' },
    spec: {
      nodeName: 'dev-node',
      restartPolicy: 'Never',
      containers: [
        {
          name: 'main',
          image: 'ignored',
          command: ['sh', '-c', 'echo "$POD_NAME"; sleep 30'],
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        },
      ],
    },
  });
  const pod = await waitFor(async () => {
    const p = await client.get<Pod>(resources.pods, 'dev', 'default');
    return p.status?.phase === 'Running' && p;
  }, 'dev Running');
  expect(pod.status?.podIP).toBe('127.0.0.1');
  expect(pod.status?.containerStatuses?.[0]?.containerID).toMatch(/^process:\/\//);
  const node = await client.get<Node>(resources.nodes, 'dev-node');
  expect(node.status?.nodeInfo?.osImage).toContain('not isolated');
});

it('reports NotReady while the runtime is unreachable and Ready again after', async () => {
  const ready = async () =>
    (await client.get<Node>(resources.nodes, 'dev-node')).status?.conditions?.find((c) => c.type === 'Ready');
  runtime.down = true;
  const down = await waitFor(async () => (await ready())?.status === 'False' && ready(), 'Ready=False');
  expect(down?.message).toContain('runtime socket refused');
  runtime.down = false;
  await waitFor(async () => (await ready())?.status === 'True', 'Ready=True');
});
