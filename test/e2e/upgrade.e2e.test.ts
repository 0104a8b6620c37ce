import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { KubeClient } from '../../src/client/client.js';
import { runCli } from '../support/cli.js';
import { motoEc2Client } from '../support/moto-ec2.js';
import { waitFor } from '../support/wait.js';
import { buildVersionedBundle } from '../upgrade/versioned-bundle.js';
import { type CliCluster, deleteAndProveClean, startCliCluster } from './cli-cluster.js';
import { reportFailure, tearDown } from './e2e-teardown.js';
import { adminClient } from './kubeconfig-client.js';
import { kubectlOk, listPods } from './kubectl.js';
import { followLaunchTemplates } from './launch-template-follower.js';
import { type TrafficReport, type TrafficWatch, watchTraffic } from './upgrade-traffic.js';
import { renderUpgradeWorkloads, writeUpgradeSpec } from './upgrade-workloads.js';

// Issue #17, acceptance 2 and 3, on moto + namespaced hosts with dockerd and the pod network:
// a master and two workers (blue, green) running `web` (3 replicas) under a PodDisruptionBudget
// of minAvailable 2 behind a LoadBalancer Service. A client in the runner's namespace polls the
// Service's NodePort every 100 ms on the addresses the Service's status lists (as a load balancer
// in front of the nodes), and the Ready web pods are sampled every 200 ms, for the whole file.
// `tugboat upgrade` rolls a bundle built as the next minor over every host, then `tugboat update`
// with a new worker instance type replaces every worker: no failed poll, never fewer than 2 Ready.
const cluster = 'upg';
/** What this build is (package.json), the next minor (the upgrade) and an older one (refused). */
const current = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const [major, minor] = current.split('.').map(Number) as [number, number];
const next = `${major}.${minor + 1}.0`;
const older = minor > 0 ? `${major}.${minor - 1}.0` : `${major - 1}.0.0`;
let h: CliCluster;
let kubeconfig: string;
let admin: KubeClient | undefined;
let traffic: TrafficWatch | undefined;
const bundles = new Map<string, string>();
let workers: { id: string; group: string; privateIp: string }[] = [];

interface HostJson {
  id: string;
  group: string;
  privateIp: string;
}
interface PlanJson {
  target: string;
  steps: { role: string; hosts: { name: string; from: string; to: string }[] }[];
  upToDate: string[];
  applied: boolean;
  stepMs: number[];
}

function expectTrafficHeld(report: TrafficReport, what: string): void {
  process.stderr.write(
    `upgrade e2e | ${what}: ${report.polls} polls over ${report.targets.size} addresses (${report.healthChecksFailed} health checks of new ones failed), ${report.failed.length} failed, answered by ${report.answeredBy.size} pods; ${report.samples} Ready samples, fewest ${report.minReady} (${report.minReadyAt})\n`,
  );
  expect(report.failed, what).toEqual([]);
  expect(report.minReady, `${what}: ${report.minReadyAt}`).toBeGreaterThanOrEqual(2);
}

/** Each node's tugboat version, from its kubeletVersion (`v1.32.0+tugboat-X`). */
async function nodeVersions(): Promise<Map<string, string>> {
  const out = await kubectlOk(kubeconfig, ['get', 'nodes', '-o', 'json']);
  const items = (
    JSON.parse(out) as {
      items: { metadata: { name: string }; status?: { nodeInfo?: { kubeletVersion?: string } } }[];
    }
  ).items;
  return new Map(items.map((n) => [n.metadata.name, n.status?.nodeInfo?.kubeletVersion ?? '']));
}

beforeAll(async () => {
  h = await startCliCluster(cluster, 'upg');
  kubeconfig = h.kubeconfig;
  for (const v of [next, older]) {
    const built = buildVersionedBundle(h.dir, v);
    bundles.set(v, join(h.dir, `bundle-${v}`, built.file));
  }
}, 300_000);

afterEach((context) => reportFailure(context.task.result?.state, h?.manager, kubeconfig));

afterAll(async () => {
  await traffic?.stop();
  admin?.close();
  await tearDown(h?.manager, h?.moto, h?.dir);
});

it('tugboat create: two workers Ready; web (3 pods) with its PDB and LoadBalancer Service answering the client', async () => {
  const spec = writeUpgradeSpec(h.dir, cluster, 't3.small', 'upg.yaml');
  const created = await h.tugboat<{ hosts: HostJson[] }>('create', '-f', spec, '--yes');
  workers = created.hosts.filter((x) => x.group !== 'master');
  expect(workers).toHaveLength(2);
  expect([...(await nodeVersions()).values()]).toEqual(workers.map(() => `v1.32.0+tugboat-${current}`));
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderUpgradeWorkloads());
  await waitFor(
    async () => (await listPods(kubeconfig, 'app=web')).filter((p) => p.ready && !p.deleting).length === 3,
    '3 web pods Ready',
    180_000,
    1_000,
  );
  admin = adminClient(kubeconfig);
  traffic = watchTraffic(admin, 'web-lb', { app: 'web' });
  await waitFor(
    () => {
      const r = traffic!.report();
      return r.targets.size === 2 && r.answeredBy.size === 3 && r.polls >= 30;
    },
    'the client reaching all 3 pods through both workers',
    60_000,
    500,
  );
  expectTrafficHeld(traffic.report(), 'before the upgrade');
});

it('tugboat upgrade to an older version is refused without --allow-downgrade, and changes nothing', async () => {
  const refused = await runCli(['upgrade', cluster, '--bundle', bundles.get(older)!, '--yes'], {
    env: h.env,
    cwd: process.cwd(),
  });
  expect(refused.code, refused.stderr).toBe(2);
  expect(refused.stderr).toContain(`${older} is older than ${current} on master`);
  expect(refused.stderr).toContain('refusing a downgrade; pass --allow-downgrade');
  // A --to-version the bundle does not say would leave the roll waiting for versions no node reports.
  const mismatch = await runCli(
    ['upgrade', cluster, '--bundle', bundles.get(next)!, '--to-version', '0.2.1', '--dry-run'],
    { env: h.env, cwd: process.cwd() },
  );
  expect(mismatch.code, mismatch.stderr).toBe(2);
  expect(mismatch.stderr).toContain(`was built as ${next}: leave --to-version out`);
  // The target is the version the bundle says it is.
  const plan = await h.tugboat<PlanJson>('upgrade', cluster, '--bundle', bundles.get(next)!, '--dry-run');
  expect(plan.applied).toBe(false);
  expect(plan.target).toBe(next);
  expect(plan.steps.map((s) => s.role)).toEqual(['master', 'worker', 'worker']);
  for (const s of plan.steps) for (const x of s.hosts) expect(x.from, x.name).toBe(current);
});

it(`tugboat upgrade to ${next}: master then each worker, no failed poll, the PDB held, every host at ${next}`, async () => {
  const started = Date.now();
  const rolled = await h.tugboat<PlanJson>('upgrade', cluster, '--bundle', bundles.get(next)!, '--yes');
  const total = Date.now() - started;
  expect(rolled.applied).toBe(true);
  expect(rolled.steps.map((s) => s.role)).toEqual(['master', 'worker', 'worker']);
  process.stderr.write(
    `upgrade e2e | upgrade ${current} -> ${next}: ${(total / 1000).toFixed(1)} s in all; per step (master, worker, worker): ${rolled.stepMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}\n`,
  );
  expectTrafficHeld(traffic!.report(), 'through the upgrade');
  // Every host reports the new version: the API server on /version, each worker on its Node,
  // and the plan read from the hosts has nothing left to do.
  const version = JSON.parse(await kubectlOk(kubeconfig, ['get', '--raw', '/version'])) as {
    gitVersion: string;
  };
  expect(version.gitVersion).toMatch(new RegExp(`\\+tugboat-${next.replaceAll('.', '\\.')}$`));
  const versions = await nodeVersions();
  expect([...versions.keys()].sort()).toEqual(workers.map((w) => w.id).sort());
  for (const [node, v] of versions) expect(v, node).toBe(`v1.32.0+tugboat-${next}`);
  const again = await h.tugboat<PlanJson>('upgrade', cluster, '--bundle', bundles.get(next)!, '--dry-run');
  expect(again.steps).toEqual([]);
  expect(again.upToDate).toHaveLength(3);
  const nodes = JSON.parse(await kubectlOk(kubeconfig, ['get', 'nodes', '-o', 'json'])) as {
    items: { spec?: { unschedulable?: boolean } }[];
  };
  for (const n of nodes.items) expect(n.spec?.unschedulable).toBeFalsy();
});

it('tugboat update with a new worker instance type replaces every worker: new instances of that type, old Nodes gone, no failed poll, the PDB held', async () => {
  const spec = writeUpgradeSpec(h.dir, cluster, 't3.large', 'upg-large.yaml');
  // moto leaves a group on its old launch template version where CloudFormation moves it.
  // `update` re-reads a group still behind its template's latest version (bounded) before it
  // judges the instances, so the follower's timing cannot turn into "nothing to replace".
  const follower = followLaunchTemplates(h.moto, cluster, (l) => process.stderr.write(`hosts: ${l}\n`));
  const started = Date.now();
  let moved = 0;
  const updated = await h
    .tugboat<{
      action: string;
      replaced?: { group: string; instance: string; surge: boolean; ms?: number }[];
    }>('update', '-f', spec, '--bundle', bundles.get(next)!, '--yes')
    .finally(async () => {
      moved = await follower.stop();
    });
  const total = Date.now() - started;
  expect(updated.action).toBe('updated');
  // Both worker groups got a new launch template version (instance type) and were moved to it.
  expect(moved).toBeGreaterThanOrEqual(2);
  const replaced = updated.replaced ?? [];
  expect(replaced.map((r) => r.instance).sort()).toEqual(workers.map((w) => w.id).sort());
  for (const r of replaced) expect(r.surge, r.instance).toBe(true);
  process.stderr.write(
    `upgrade e2e | update to t3.large: ${(total / 1000).toFixed(1)} s in all; per worker: ${replaced.map((r) => `${r.group} ${r.ms === undefined ? '?' : (r.ms / 1000).toFixed(1)} s`).join(', ')}\n`,
  );
  expectTrafficHeld(traffic!.report(), 'through the upgrade and the replacement');
  const versions = await nodeVersions();
  const now = [...versions.keys()].sort();
  expect(now).toHaveLength(2);
  for (const w of workers) expect(now, `old node ${w.id}`).not.toContain(w.id);
  for (const [node, v] of versions) expect(v, node).toBe(`v1.32.0+tugboat-${next}`);
  const ec2 = motoEc2Client(h.moto);
  try {
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: now }));
    const types = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceType);
    expect(types).toEqual(['t3.large', 't3.large']);
  } finally {
    ec2.destroy();
  }
  // The client followed the load balancer onto the new workers and still reaches 3 pods there.
  const report = traffic!.report();
  expect(report.answeredBy.size).toBeGreaterThanOrEqual(3);
  const pods = (await listPods(kubeconfig, 'app=web')).filter((p) => p.ready && !p.deleting);
  expect(pods).toHaveLength(3);
  for (const p of pods) expect(now, p.name).toContain(p.node);
});

it('tugboat delete --yes leaves nothing tagged; the harness proves nothing of its own is left', async () => {
  const report = await traffic!.stop();
  traffic = undefined;
  expectTrafficHeld(report, 'the whole run');
  admin?.close();
  admin = undefined;
  await deleteAndProveClean(h, cluster);
});
