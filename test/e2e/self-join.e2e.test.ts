import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { waitFor } from '../support/wait.js';
import { awsCli, buildSleeperDeployment, waitBooted, writeAdminKubeconfig } from './booted-cluster.js';
import { type CliCluster, deleteBootedCluster, startCliCluster } from './cli-cluster.js';
import { reportFailure, tearDown } from './e2e-teardown.js';
import { kubectlOk, listPods, nodeReadiness } from './kubectl.js';

// Issue 15, acceptance 3 and 4, on instances that boot as EC2 boots them: `tugboat create
// --no-bootstrap` for examples/e2e.yaml, and the host harness runs each instance's user-data as
// root inside its namespaces, with IMDSv2 at 169.254.169.254 and moto as its AWS endpoint. Nothing
// is installed over SSH: the master restores/creates its state and serves, the workers join with
// the bootstrap token and a CSR. Then AWS alone changes the fleet — the Auto Scaling API replaces
// a worker, the AWS CLI raises a group's desired capacity — and the new instances become Ready
// nodes with no tugboat command.
const cluster = 'e2e';
let h: CliCluster;
let kubeconfig: string;
let masterId: string;
let workers: { id: string; group: string }[] = [];
/** A worker group whose next instances boot where their user-data was not made for (a fault). */
let misplaced: string | undefined;

interface AwsInstance {
  InstanceId: string;
  State: { Name: string };
  Tags?: { Key: string; Value: string }[];
}

/** Running instances of the cluster's group `group`, by the AWS CLI. */
async function runningIn(group: string): Promise<string[]> {
  const out = await awsCli<{ Reservations: { Instances: AwsInstance[] }[] }>(
    h.env,
    'ec2',
    'describe-instances',
    '--filters',
    `Name=tag:tugboat:cluster,Values=${cluster}`,
    `Name=tag:tugboat:group,Values=${group}`,
    'Name=instance-state-name,Values=running',
  );
  return out.Reservations.flatMap((r) => r.Instances.map((i) => i.InstanceId)).sort();
}

/** The auto-scaling group of a worker group, found by its tag as an operator would. */
async function asgOf(group: string): Promise<string> {
  const out = await awsCli<{
    AutoScalingGroups: { AutoScalingGroupName: string; Tags?: { Key: string; Value: string }[] }[];
  }>(h.env, 'autoscaling', 'describe-auto-scaling-groups');
  const found = out.AutoScalingGroups.find(
    (g) =>
      g.Tags?.some((t) => t.Key === 'tugboat:cluster' && t.Value === cluster) &&
      g.Tags?.some((t) => t.Key === 'tugboat:group' && t.Value === group),
  );
  if (!found) throw new Error(`no auto-scaling group of ${cluster}/${group}`);
  return found.AutoScalingGroupName;
}

/** Waits until `id` is a Ready Node (it joined by itself). */
function waitNodeReady(id: string): Promise<true> {
  return waitFor(
    async () => (await nodeReadiness(kubeconfig)).get(id) === 'True',
    `node ${id} Ready`,
    600_000,
    1_000,
  );
}

function renderDeployment(): string {
  return stringify(buildSleeperDeployment('spread', 4));
}

beforeAll(async () => {
  h = await startCliCluster(cluster, 'selfjoin', {
    bootFromUserData: true,
    bootFaults: (i) =>
      misplaced && i.tags['tugboat:group'] === misplaced ? { imdsRegion: 'eu-west-1' } : undefined,
  });
  kubeconfig = join(h.dir, 'admin.kubeconfig');
});

afterEach((context) => reportFailure(context.task.result?.state, h?.manager, kubeconfig));

afterAll(() => tearDown(h?.manager, h?.moto, h?.dir));

it('create --no-bootstrap: every instance boots from its user-data; the master serves, the workers join by CSR and are Ready', async () => {
  const created = await h.tugboat<{ bootstrapped: boolean; hosts: { id: string; group: string }[] }>(
    'create',
    '-f',
    'examples/e2e.yaml',
    '--no-bootstrap',
    '--yes',
  );
  expect(created.bootstrapped).toBe(false);
  masterId = created.hosts.find((x) => x.group === 'master')!.id;
  workers = created.hosts.filter((x) => x.group !== 'master');
  expect(workers.map((w) => w.group).sort()).toEqual(['blue', 'green']);
  const manager = h.manager!;
  for (const id of [masterId, ...workers.map((w) => w.id)]) {
    const exit = await waitBooted(manager, id);
    process.stderr.write(`boot of ${id}: ${exit.seconds.toFixed(1)} s\n`);
    const boot = manager.boot(id)!;
    expect(boot.consoleOutput()).toContain('tugboat-boot: boot complete');
    // IMDSv2 at 169.254.169.254 inside the instance: the token first, then the role's credentials.
    expect(boot.imds.requests[0]).toBe('PUT /latest/api/token');
    const role = id === masterId ? 'master' : 'worker';
    expect(boot.imds.requests).toContain(
      `GET /latest/meta-data/iam/security-credentials/tugboat-${cluster}-${role}`,
    );
  }
  await writeAdminKubeconfig(h.moto, cluster, kubeconfig);
  for (const w of workers) await waitNodeReady(w.id);
  const ready = await nodeReadiness(kubeconfig);
  expect([...ready.keys()].sort()).toEqual(workers.map((w) => w.id).sort());
  // Joined with the bootstrap token: each node's certificate came by an approved CSR.
  const csrs = JSON.parse(await kubectlOk(kubeconfig, ['get', 'csr', '-o', 'json'])) as {
    items: { spec: { username: string }; status?: { conditions?: { type: string }[] } }[];
  };
  const approved = csrs.items.filter(
    (c) =>
      c.spec.username.startsWith('system:bootstrap:') &&
      c.status?.conditions?.some((x) => x.type === 'Approved'),
  );
  expect(approved.length).toBeGreaterThanOrEqual(workers.length);
  const green = JSON.parse(
    await kubectlOk(kubeconfig, ['get', 'node', workers.find((w) => w.group === 'green')!.id, '-o', 'json']),
  ) as { metadata: { labels: Record<string, string> } };
  expect(green.metadata.labels).toMatchObject({ tier: 'green', 'tugboat.dev/group': 'green' });
});

it('terminating a worker through the Auto Scaling API: its replacement boots from user-data and joins, the old Node is removed, its pods run elsewhere', async () => {
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderDeployment());
  await waitFor(
    async () => {
      const pods = await listPods(kubeconfig, 'app=spread');
      return pods.length === 4 && pods.every((p) => p.phase === 'Running');
    },
    'the 4 pods Running',
    300_000,
    1_000,
  );
  const old = workers.find((w) => w.group === 'blue')!.id;
  const terminatedAt = Date.now();
  await awsCli(
    h.env,
    'autoscaling',
    'terminate-instance-in-auto-scaling-group',
    '--instance-id',
    old,
    '--no-should-decrement-desired-capacity',
  );
  const replacement = await waitFor(
    async () => (await runningIn('blue')).find((id) => id !== old),
    'a replacement instance in blue',
    300_000,
    1_000,
  );
  // Its pods are deleted with the Node and come back on the nodes that exist.
  await waitFor(
    async () => {
      const pods = await listPods(kubeconfig, 'app=spread');
      return pods.length === 4 && pods.every((p) => p.phase === 'Running' && p.node !== old && !p.deleting);
    },
    `the 4 pods Running, none on ${old}`,
    600_000,
    1_000,
  );
  process.stderr.write(
    `pods of ${old} ran elsewhere ${((Date.now() - terminatedAt) / 1000).toFixed(1)} s after the termination\n`,
  );
  await waitFor(
    async () => !(await nodeReadiness(kubeconfig)).has(old),
    `node ${old} removed`,
    600_000,
    1_000,
  );
  await waitBooted(h.manager!, replacement);
  await waitNodeReady(replacement);
  process.stderr.write(
    `replacement ${replacement} Ready ${((Date.now() - terminatedAt) / 1000).toFixed(1)} s after the termination\n`,
  );
  const nodes = await nodeReadiness(kubeconfig);
  expect([...nodes.keys()].sort()).toEqual(
    [replacement, workers.find((w) => w.group === 'green')!.id].sort(),
  );
  workers = workers.map((w) => (w.id === old ? { ...w, id: replacement } : w));
});

it("raising a worker group's desired capacity with the AWS CLI: the new instance boots and becomes a Ready node", async () => {
  const before = await runningIn('green');
  expect(before).toHaveLength(1);
  await awsCli(
    h.env,
    'autoscaling',
    'set-desired-capacity',
    '--auto-scaling-group-name',
    await asgOf('green'),
    '--desired-capacity',
    '2',
  );
  const added = await waitFor(
    async () => (await runningIn('green')).find((id) => !before.includes(id)),
    'a new instance in green',
    300_000,
    1_000,
  );
  await waitBooted(h.manager!, added);
  await waitNodeReady(added);
  const node = JSON.parse(await kubectlOk(kubeconfig, ['get', 'node', added, '-o', 'json'])) as {
    metadata: { labels: Record<string, string> };
  };
  expect(node.metadata.labels).toMatchObject({ tier: 'green', 'tugboat.dev/group': 'green' });
  expect([...(await nodeReadiness(kubeconfig)).values()]).toEqual(['True', 'True', 'True']);
});

it("a boot that fails says why in the instance's console output, and tugboat status shows it with the reason", async () => {
  // The next blue instance's metadata says eu-west-1: its user-data (for us-east-1) must refuse.
  misplaced = 'blue';
  const before = await runningIn('blue');
  await awsCli(
    h.env,
    'autoscaling',
    'set-desired-capacity',
    '--auto-scaling-group-name',
    await asgOf('blue'),
    '--desired-capacity',
    String(before.length + 1),
  );
  const added = await waitFor(
    async () => (await runningIn('blue')).find((id) => !before.includes(id)),
    'a new instance in blue',
    300_000,
    1_000,
  );
  const boot = await waitFor(() => h.manager!.boot(added), `the boot of ${added}`, 300_000, 500);
  const exit = await boot.done;
  const reason = `instance ${added} runs in eu-west-1, but its user-data is for cluster ${cluster} in us-east-1`;
  expect(exit.code, boot.consoleOutput()).not.toBe(0);
  expect(boot.consoleOutput()).toContain(reason);
  expect(boot.consoleOutput()).toMatch(/tugboat-boot: FAILED: /);
  const status = await h.tugboat<{
    bootFailures: { instanceId: string; role: string; group?: string; reason: string }[];
  }>('status', cluster);
  expect(status.bootFailures).toEqual([
    expect.objectContaining({
      instanceId: added,
      role: 'worker',
      group: 'blue',
      reason: expect.stringContaining(reason),
    }),
  ]);
  expect((await nodeReadiness(kubeconfig)).has(added)).toBe(false);
});

it('tugboat delete --yes: nothing tagged is left once the booted master has stopped shipping; the harness proves nothing of its own is left', async () => {
  // A booted master ships its store to S3 every second until its instance is really down; delete
  // sweeps right after terminating the instances, so a last log segment can land after the sweep
  // (found here; see docs/e2e.md). Anything else left would be a failure of the first delete.
  await deleteBootedCluster(h, cluster);
});
