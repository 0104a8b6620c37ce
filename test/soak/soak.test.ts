import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type KubeClient, type Node, type Pod, resources } from '../../src/client/index.js';
import type { Deployment } from '../../src/kube/index.js';
import { isRunning } from '../../src/local/processes.js';
import { readLocalState, writeLocalState } from '../../src/local/state.js';
import { type LocalTestCluster, startLocalTestCluster } from '../support/local-cluster.js';
import { prng } from '../support/prng.js';
import { waitFor } from '../support/wait.js';
import { CountingClient } from './counting-client.js';
import { malformedCorpus, sendMalformed } from './malformed.js';
import { Supervisor } from './supervisor.js';

// The soak (issue #19): a `local up` cluster (control plane + 2 agents, process runtime) under
// mixed API traffic from a counting client, random kill -9 of the control plane and the agents
// (restarted as systemd would), and random malformed requests. At the end every acknowledged
// write is present, every process runs, and every pod that should run is Running — with no pod
// process left over from a killed agent. SOAK_SECONDS sets the length (npm run soak: 600; CI: 120),
// SOAK_SEED replays a run. Needs dist/ (npm run build): local up starts bin/tugboat.js.

const seconds = Number(process.env.SOAK_SECONDS ?? 120);
const seed = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const REPLICAS = 4;
let cluster: LocalTestCluster;
let admin: KubeClient;
let dir: string;

beforeAll(async () => {
  console.log(`soak: seed ${seed} (replay with SOAK_SEED=${seed}), ${seconds} s`);
  cluster = await startLocalTestCluster('tugboat-soak-', {
    nodes: 2,
    runtime: 'process',
    timeoutMs: 120_000,
  });
  dir = cluster.dir;
  admin = cluster.admin();
  await admin.create(resources.namespaces, { metadata: { name: 'soak' } });
}, 180_000);

afterAll(async () => {
  admin?.close();
  await cluster?.remove();
}, 180_000);

/** Live pod processes the agents' process runtime recorded (one per running container). */
function livePodProcesses(): number {
  let live = 0;
  for (const agent of ['local-1', 'local-2']) {
    const root = join(dir, 'agents', agent, 'process-runtime');
    for (const id of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      try {
        const pid = Number(readFileSync(join(root, id.name, 'process'), 'utf8').split(' ')[0]);
        if (isRunning(pid)) live++;
      } catch {
        // a folder without a record (being created or removed)
      }
    }
  }
  return live;
}

it(`survives kill -9, malformed requests and mixed traffic for ${seconds} s`, async () => {
  const random = prng(seed);
  const state = readLocalState(dir);
  if (!state) throw new Error('no local state');
  const supervisor = new Supervisor({ ...cluster.env, TUGBOAT_HOME: undefined }, (name, pid) => {
    // Keep state.json current so that `local down` stops the processes that run now.
    const s = readLocalState(dir);
    if (!s) return;
    writeLocalState(dir, {
      ...s,
      controlPlane: name === 'control-plane' ? { ...s.controlPlane, pid } : s.controlPlane,
      nodes: s.nodes.map((n) => (n.name === name ? { ...n, pid } : n)),
    });
  });
  supervisor.adopt('control-plane', state.controlPlane.pid, state.controlPlane.log);
  for (const n of state.nodes) supervisor.adopt(n.name, n.pid, n.log);
  supervisor.start();
  try {
    await soak(random, supervisor);
  } finally {
    supervisor.stop();
  }
});

async function soak(random: () => number, supervisor: Supervisor): Promise<void> {
  await admin.create<Deployment>(resources.deployments, {
    metadata: { name: 'sleepers', namespace: 'soak' },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: 'sleepers' } },
      template: {
        metadata: { labels: { app: 'sleepers' } },
        spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '100000'] }] },
      },
    },
  });

  // The last quarter (at least 30 s) has no kills: the cluster must converge in it.
  const start = Date.now();
  const chaosEnd = start + Math.max(10_000, seconds * 1000 - Math.max(30_000, seconds * 250));
  const trafficEnd = chaosEnd + 5_000;
  const counting = new CountingClient(admin, 'soak');
  const workers = [0, 1, 2].map((w) => counting.runWorker(w, prng(seed + 1 + w), trafficEnd));

  const corpus = malformedCorpus(process.env);
  const refusedWrongly: string[] = [];
  let malformedSent = 0;
  const malformed = (async () => {
    const r = prng(seed + 100);
    while (Date.now() < trafficEnd) {
      const m = corpus[Math.floor(r() * corpus.length)];
      if (!m) break;
      const status = await sendMalformed(cluster.server, cluster.tls, m);
      if (status !== undefined) malformedSent++;
      if (status !== undefined && (status < 400 || status >= 500))
        refusedWrongly.push(`${m.what}: ${status}`);
      await new Promise((res) => setTimeout(res, 200 + r() * 800));
    }
  })();

  const victims = supervisor.names;
  for (let i = 0; i < 10_000 && Date.now() < chaosEnd; i++) {
    await new Promise((r) => setTimeout(r, 4_000 + random() * 8_000));
    if (Date.now() >= chaosEnd) break;
    // The control plane one time in three, else an agent.
    const victim =
      random() < 1 / 3 ? 'control-plane' : (victims[1 + Math.floor(random() * (victims.length - 1))] ?? '');
    supervisor.kill(victim, random() * 2_000);
  }
  await Promise.all([...workers, malformed]);

  // Converge: every process up, every node Ready, the Deployment's pods Running with one process each.
  const fresh = cluster.admin();
  let converged: unknown;
  try {
    await waitFor(() => supervisor.allRunning(), 'every process running', 30_000, 200);
    await waitFor(
      async () => {
        const nodes = await fresh.list<Node>(resources.nodes);
        const ready = nodes.items.filter((n) =>
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        const pods = (await fresh.list<Pod>(resources.pods, { namespace: 'soak' })).items;
        const running = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
        return (
          ready.length === 2 &&
          running.length === REPLICAS &&
          pods.length === REPLICAS &&
          livePodProcesses() === REPLICAS
        );
      },
      `2 nodes Ready and ${REPLICAS} pods Running, one process each`,
      120_000,
      500,
    );
  } catch (err) {
    converged = err;
  }
  try {
    // Crashes first: they explain a cluster that did not converge.
    const { crashes } = supervisor.report();
    if (crashes.length > 0 || converged) {
      throw new Error(
        `seed ${seed}: ${crashes.length} crash(es):\n${crashes.join('\n')}\n${converged ? String(converged) : 'converged'}\n${supervisor.logTails(30)}`,
      );
    }
    const counted = counting.report();
    const supervised = supervisor.report();
    const lost = await counting.verify();
    console.log(
      `soak: seed ${seed}: ${counted.acknowledged} acknowledged writes, ${counted.unacknowledged} lost answers, ` +
        `${counted.reads} reads, ${malformedSent} malformed requests, kills ${JSON.stringify(supervised.kills)}`,
    );
    expect(counted.serverErrors).toEqual([]);
    expect(counted.unexpected).toEqual([]);
    expect(refusedWrongly).toEqual([]);
    expect(lost).toEqual([]);
    expect(counted.acknowledged).toBeGreaterThan(0);
    expect(Object.values(supervised.kills).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(supervisor.allRunning()).toBe(true);
  } finally {
    fresh.close();
  }
}
