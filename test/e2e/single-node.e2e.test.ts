import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { type CliCluster, deleteAndProveClean, startCliCluster } from './cli-cluster.js';
import { reportFailure, tearDown } from './e2e-teardown.js';
import { kubectlOk, listPods } from './kubectl.js';
import { writeSingleNodeSpec } from './single-node-spec.js';

// A single-node cluster on AWS (examples/single-node.yaml, made reachable in the harness): no
// worker group, so the master runs the node agent too. `tugboat create` from the CLI against moto,
// the harness turning the one instance into an SSH + Docker host; the master registers as a Node
// without taints, a pod runs there, and `tugboat delete` proves nothing is left.
const cluster = 'solo';
let h: CliCluster;
let kubeconfig: string;
let masterId: string;

beforeAll(async () => {
  h = await startCliCluster(cluster, 'single');
  kubeconfig = h.kubeconfig;
});

afterEach((context) => reportFailure(context.task.result?.state, h?.manager, kubeconfig));

afterAll(() => tearDown(h?.manager, h?.moto, h?.dir));

it('tugboat create of a spec without worker groups: one instance, the master, Ready as an untainted Node', async () => {
  const created = await h.tugboat<{
    bootstrapped: boolean;
    hosts: { id: string; group: string }[];
  }>('create', '-f', writeSingleNodeSpec(h.dir, cluster), '--yes');
  expect(created.bootstrapped).toBe(true);
  expect(created.hosts.map((h) => h.group)).toEqual(['master']);
  masterId = created.hosts[0]!.id;
  const nodes = JSON.parse(await kubectlOk(kubeconfig, ['get', 'nodes', '-o', 'json'])) as {
    items: {
      metadata: { name: string };
      spec?: { taints?: unknown[] };
      status?: { conditions?: { type: string; status: string }[] };
    }[];
  };
  expect(nodes.items.map((n) => n.metadata.name)).toEqual([masterId]);
  const node = nodes.items[0]!;
  expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  expect(node.spec?.taints ?? []).toEqual([]);
});

it('a pod is scheduled on the master and runs there', async () => {
  await kubectlOk(kubeconfig, [
    'run',
    'solo',
    '--image=local/busybox:latest',
    '--image-pull-policy=Never',
    '--restart=Never',
    '--labels=app=solo',
    '--',
    'sleep',
    '3600',
  ]);
  const pod = await waitFor(
    async () => (await listPods(kubeconfig, 'app=solo')).find((p) => p.phase === 'Running'),
    'the pod Running',
    120_000,
    500,
  );
  expect(pod.node).toBe(masterId);
});

it('tugboat delete --yes leaves nothing tagged and the harness removes the host', () =>
  deleteAndProveClean(h, cluster));
