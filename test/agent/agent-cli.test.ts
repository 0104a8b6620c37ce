import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KubeClient, type Node, resources } from '../../src/client/index.js';
import { startProcess } from '../harness/process.js';
import { runCli } from '../support/cli.js';
import { type FakeApi, startFakeApi } from '../support/fake-api.js';

let api: FakeApi;
let dir: string;
beforeAll(async () => {
  api = await startFakeApi();
  dir = mkdtempSync(join(tmpdir(), `tugboat-agent-cli-${process.pid}-`));
});
afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('tugboat agent registers the node from a config file plus flags and exits 0 on SIGTERM', async () => {
  const config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    `server: ${api.url}\ninsecureLoopback: true\nimds: 'off'\nruntime: process\nlisten: 127.0.0.1:0\nlabels: {team: infra}\n`,
  );
  const client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  const agent = await startProcess(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/support/cli-entry.ts',
      'agent',
      '--config',
      config,
      '--node-name',
      'cli-node',
      '--data-dir',
      join(dir, 'data'),
      '--taint',
      'role=edge:NoSchedule',
      '--zone',
      'lab-1',
    ],
    { ready: async () => Boolean(await client.get(resources.nodes, 'cli-node')), timeoutMs: 60_000 },
  );
  try {
    const node = await client.get<Node>(resources.nodes, 'cli-node');
    expect(node.metadata.labels).toMatchObject({
      team: 'infra',
      'topology.kubernetes.io/zone': 'lab-1',
      'kubernetes.io/hostname': expect.any(String),
    });
    expect(node.spec?.taints).toEqual([{ key: 'role', value: 'edge', effect: 'NoSchedule' }]);
  } finally {
    const exited = new Promise<number | null>((r) => agent.child.once('exit', (code) => r(code)));
    agent.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(agent.output()).toContain('agent for node cli-node running');
    client.close();
  }
});

it('rejects a bad taint flag with the value and the fix, exit code 2', async () => {
  const r = await runCli(['agent', '--server', 'https://127.0.0.1:6443', '--imds', 'off', '--taint', 'nope']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('invalid taint "nope"');
});
