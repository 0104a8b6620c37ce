import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { processStartTicks, readProcessRecords } from '../../src/agent/runtime/process-records.js';
import { type KubeClient, type Pod, resources } from '../../src/client/index.js';
import { runLocalDown } from '../../src/local/down.js';
import { isRunning, spawnDetached } from '../../src/local/processes.js';
import { readLocalState, writeLocalState } from '../../src/local/state.js';
import { type LocalTestCluster, startLocalTestCluster } from '../support/local-cluster.js';
import { waitFor } from '../support/wait.js';

// Issue #19 finding 8: with the process runtime, the pods of an agent killed with -9 kept running
// through the agent's restart and through `local down` ("0 leftover container(s) removed").
// Runs the real `local up` (needs dist/: npm run build) with one node and the process runtime.

const CLI = fileURLToPath(new URL('../../bin/tugboat.js', import.meta.url));
let cluster: LocalTestCluster;
let admin: KubeClient;
let dir: string;
let agentDir: string;

beforeAll(async () => {
  cluster = await startLocalTestCluster('tugboat-orphans-', {
    nodes: 1,
    runtime: 'process',
    timeoutMs: 120_000,
  });
  dir = cluster.dir;
  agentDir = join(dir, 'agents', 'local-1');
  admin = cluster.admin();
}, 180_000);

afterAll(async () => {
  admin?.close();
  await cluster?.remove();
}, 120_000);

/**
 * Pids of the pod processes of the agent that run: found through /proc (their working directory
 * is their container folder under the agent's data directory), not through the runtime's records.
 */
function runningPodPids(): number[] {
  const root = `${join(agentDir, 'process-runtime')}/`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`).startsWith(root) && isRunning(Number(name)))
        pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function podRunningWith(previous: number[]): Promise<number> {
  return waitFor(
    async () => {
      const pod = await admin.get<Pod>(resources.pods, 'sleeper', 'default');
      const pids = runningPodPids().filter((p) => !previous.includes(p));
      return pod.status?.phase === 'Running' && pids.length === 1 ? pids[0] : undefined;
    },
    'the pod running in a new process',
    90_000,
    250,
  );
}

function killAgent(): void {
  const state = readLocalState(dir);
  const pid = state?.nodes[0]?.pid ?? 0;
  process.kill(pid, 'SIGKILL');
}

it('a restarted agent stops the pods its killed predecessor left, and local down stops the rest', async () => {
  await admin.create<Pod>(resources.pods, {
    metadata: { name: 'sleeper', namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }] },
  });
  const first = await podRunningWith([]);

  killAgent();
  await new Promise((r) => setTimeout(r, 500));
  expect(isRunning(first)).toBe(true); // the orphan: what the restart must clean up

  // Restart the agent as a supervisor would (same config, same data directory).
  const state = readLocalState(dir);
  const node = state?.nodes[0];
  if (!state || !node) throw new Error('no local state');
  const pid = spawnDetached([CLI, 'agent', '-c', join(dir, 'agents', 'local-1.yaml')], node.log, {
    ...cluster.env,
    TUGBOAT_HOME: undefined,
  });
  writeLocalState(dir, { ...state, nodes: [{ ...node, pid }] });
  const second = await podRunningWith([first]);
  expect(isRunning(first)).toBe(false);
  expect(readFileSync(node.log, 'utf8')).toContain('a previous agent left running: default/sleeper/main');

  killAgent();
  await new Promise((r) => setTimeout(r, 500));
  expect(isRunning(second)).toBe(true);
  const before = readProcessRecords(agentDir).map(({ id, record }) => ({
    id,
    pid: record?.pid,
    ticks: record?.startTicks,
    now: record ? processStartTicks(record.pid) : undefined,
    state: record?.container.state,
  }));
  const down = await runLocalDown({ env: cluster.env, keepData: true });
  expect({ removed: down.removedContainers, second, before }).toMatchObject({ removed: 1 });
  expect(isRunning(second)).toBe(false);
}, 300_000);
