import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { processStartTicks, readProcessRecords } from '../../src/agent/runtime/process-records.js';
import { type KubeClient, type Pod, resources } from '../../src/client/index.js';
import { runLocalDown } from '../../src/local/down.js';
import { isRunning } from '../../src/local/processes.js';
import {
  killLocalAgent,
  localAgentLog,
  processRuntimePids,
  restartLocalAgent,
} from '../support/local-agent.js';
import { type LocalTestCluster, localKubectl, startLocalTestCluster } from '../support/local-cluster.js';
import { waitFor } from '../support/wait.js';

// Issue #19 finding 8: with the process runtime, the pods of an agent killed with -9 kept running
// through the agent's restart and through `local down` ("0 leftover container(s) removed").
// Runs the real `local up` (needs dist/: npm run build) with one node and the process runtime.

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

async function podRunningWith(name: string, previous: number[]): Promise<number> {
  return waitFor(
    async () => {
      const pod = await admin.get<Pod>(resources.pods, name, 'default');
      const pids = processRuntimePids(cluster)
        .map((p) => p.pid)
        .filter((p) => !previous.includes(p));
      return pod.status?.phase === 'Running' && pids.length === 1 ? pids[0] : undefined;
    },
    'the pod running in a new process',
    90_000,
    250,
  );
}

/** `kubectl exec POD -- sleep SECONDS`, running; its process is found by its command line. */
async function startExec(pod: string, seconds: number): Promise<{ kubectl: ChildProcess; pid: number }> {
  const kubectl = spawn('kubectl', ['exec', pod, '--', 'sleep', String(seconds)], {
    env: cluster.env,
    stdio: 'ignore',
  });
  kubectls.push(kubectl);
  const pid = await waitFor(
    () => processRuntimePids(cluster).find((p) => p.argv.join(' ') === `sleep ${seconds}`)?.pid,
    `kubectl exec ${pod} -- sleep ${seconds} running`,
    90_000,
    250,
  );
  return { kubectl, pid };
}
const kubectls: ChildProcess[] = [];
afterAll(() => {
  for (const k of kubectls) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
});

// Issue #14: what `kubectl exec` started in a process-runtime pod was not recorded, so an agent
// killed with -9 left it running for good, even once its pod was gone.
it('a restarted agent stops what kubectl exec started under its killed predecessor, pod gone', async () => {
  const kc = localKubectl(cluster.env);
  await kc.ok('run', 'shell', '--image=busybox', '--restart=Never', '--', 'sleep', '600');
  const container = await podRunningWith('shell', []);
  const exec = await startExec('shell', 601);

  killLocalAgent(cluster);
  await new Promise((r) => setTimeout(r, 500));
  expect(isRunning(exec.pid)).toBe(true); // the orphan
  // The pod goes while no agent runs (a forced delete waits for none).
  await kc.ok('delete', 'pod', 'shell', '--grace-period=0', '--force');
  restartLocalAgent(cluster);
  await waitFor(
    () => !isRunning(exec.pid) && !isRunning(container),
    'the exec session and the container stopped by the restarted agent',
    90_000,
    250,
  );
  // Logged once the restarted agent's recovery is over (after the processes went).
  await waitFor(
    () => localAgentLog(cluster).includes('a previous agent left running: default/shell/shell'),
    'the restarted agent naming what it stopped',
    30_000,
    250,
  );
  await waitFor(
    async () => !(await kc.run('get', 'node', 'local-1')).stdout.includes('NotReady'),
    'local-1 Ready',
    90_000,
    500,
  );
}, 300_000);

it('a restarted agent stops the pods its killed predecessor left, and local down stops the rest', async () => {
  await admin.create<Pod>(resources.pods, {
    metadata: { name: 'sleeper', namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '600'] }] },
  });
  const first = await podRunningWith('sleeper', []);

  killLocalAgent(cluster);
  await new Promise((r) => setTimeout(r, 500));
  expect(isRunning(first)).toBe(true); // the orphan: what the restart must clean up

  // Restart the agent as a supervisor would (same config, same data directory).
  restartLocalAgent(cluster);
  const second = await podRunningWith('sleeper', [first]);
  expect(isRunning(first)).toBe(false);
  expect(localAgentLog(cluster)).toContain('a previous agent left running: default/sleeper/main');

  // A kubectl exec session in it at the next crash: `local down` stops it with its container.
  const exec = await startExec('sleeper', 602);
  killLocalAgent(cluster);
  await new Promise((r) => setTimeout(r, 500));
  expect(isRunning(second)).toBe(true);
  expect(isRunning(exec.pid)).toBe(true);
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
  expect(isRunning(exec.pid)).toBe(false);
}, 300_000);
