import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildAgent } from '../../src/agent/agent.js';
import { ProcessRuntime } from '../../src/agent/runtime/process-runtime.js';
import { KubeClient, type Node, resources } from '../../src/client/index.js';
import { RecordingEvents } from '../../src/events.js';
import { startFakeApi } from '../support/fake-api.js';
import { waitFor } from '../support/wait.js';

// Found by the no-client e2e (issue #15, acceptance 6): a backup restored into a new cluster does
// not hold that cluster's Nodes, so they vanish while their agents run. An agent whose Node is
// gone registers it again (with its labels and registration taints) instead of failing its status
// updates forever until someone restarts it (kubernetes/kubernetes#71398).

const dataDir = mkdtempSync(join(tmpdir(), `tugboat-agent-rereg-${process.pid}-`));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('an agent whose Node object is deleted while it runs registers the node again', async () => {
  const api = await startFakeApi();
  const client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  const runtime = new ProcessRuntime({ dataDir });
  const events = new RecordingEvents();
  // The status loop skips an unchanged status for a minute: the test moves the clock instead.
  let skew = 0;
  const agent = buildAgent({
    client,
    runtime,
    identity: { name: 'gone-node', hostname: 'gone-node', internalIP: '127.0.0.1' },
    dataDir,
    events,
    labels: { tier: 'green' },
    taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }],
    nodeStatusMs: 50,
    now: () => Date.now() + skew,
  });
  try {
    await agent.start();
    const first = await client.get<Node>(resources.nodes, 'gone-node');
    await client.delete(resources.nodes, 'gone-node');
    skew = 61_000;
    const again = await waitFor(
      async () => client.get<Node>(resources.nodes, 'gone-node').catch(() => undefined),
      'the node registered again',
      30_000,
      50,
    );
    expect(again.metadata.uid).not.toBe(first.metadata.uid);
    expect(again.metadata.labels).toMatchObject({ tier: 'green' });
    expect(again.spec?.taints).toEqual([{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
    expect(events.codes()).toContain('agent.node.gone');
  } finally {
    await agent.stop();
    await runtime.close();
    client.close();
    await api.close();
  }
});
