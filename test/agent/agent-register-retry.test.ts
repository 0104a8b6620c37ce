import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildAgent } from '../../src/agent/agent.js';
import { ProcessRuntime } from '../../src/agent/runtime/process-runtime.js';
import { KubeClient, type Node, resources } from '../../src/client/index.js';
import { RecordingEvents } from '../../src/events.js';
import { freePort } from '../harness/process.js';
import { startFakeApi } from '../support/fake-api.js';

// Found by the soak (issue #19): an agent started (or restarted by its supervisor) while the
// control plane was down exited with "connect ECONNREFUSED". It must wait for the API server.

const dataDir = mkdtempSync(join(tmpdir(), `tugboat-agent-retry-${process.pid}-`));
let forwarder: Server | undefined;
afterAll(() => {
  forwarder?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('an agent whose API server is down at start waits for it instead of exiting', async () => {
  const api = await startFakeApi();
  const port = await freePort();
  const client = new KubeClient({ server: `http://127.0.0.1:${port}`, allowInsecureLoopback: true });
  const runtime = new ProcessRuntime({ dataDir });
  const events = new RecordingEvents();
  const agent = buildAgent({
    client,
    runtime,
    identity: { name: 'late-node', hostname: 'late-node', internalIP: '127.0.0.1' },
    dataDir,
    events,
  });
  try {
    const started = agent.start();
    // Nothing listens on the port yet: the agent retries (and says so) rather than failing.
    for (let i = 0; i < 100 && !events.codes().includes('agent.register.retry'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(events.codes()).toContain('agent.register.retry');
    // The API server comes up on that port (a forwarder to the fake API).
    const target = new URL(api.url);
    forwarder = createServer((socket) => {
      const upstream = connect(Number(target.port), target.hostname);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => forwarder?.listen(port, '127.0.0.1', resolve));
    await started;
    expect((await client.get<Node>(resources.nodes, 'late-node')).metadata.name).toBe('late-node');
  } finally {
    await agent.stop();
    await runtime.close();
    client.close();
    await api.close();
  }
});
