import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { etcdFormationParameterName } from '../../src/boot/etcd-formation.js';
import { clusterBucketName } from '../../src/provision/template/storage-names.js';
import { judgeWrites } from '../harness/write-outage.js';
import { runCli } from '../support/cli.js';
import { describeTagged } from '../support/tagged-resources.js';
import { waitFor } from '../support/wait.js';
import { formationMarker } from './aws-cli-reads.js';
import { awsCli, waitBooted, writeAdminKubeconfig } from './booted-cluster.js';
import { type CliCluster, deleteAndProveClean, startCliCluster } from './cli-cluster.js';
import { reportFailure, tearDown } from './e2e-teardown.js';
import { describeRunningMasters, FollowingWriter } from './following-writer.js';
import { etcdHealthFrom, type HaMaster } from './ha-masters.js';
import { writeHaSpec } from './ha-spec.js';
import { hostLog } from './host-probes.js';
import { kubectlOk, nodeReadiness } from './kubectl.js';
import { followLaunchTemplates } from './launch-template-follower.js';
import {
  apiServerEtcdEndpoints,
  LOSE_MEMBER,
  STOP_MASTER,
  stopAndMoveEtcdData,
  waitLostQuorumStatus,
} from './lost-quorum.js';
import { leaseRenewals, runningMasters, terminateKeepingCapacity } from './replace-cluster.js';

// Issue #17, "a replaced master rejoins": a 3-master cluster made by `tugboat create` (etcd formed
// over SSH), then one master instance is terminated; its group launches a replacement, which boots
// from its user-data alone (`boot --role master --store etcd`) — no `tugboat bootstrap` — removes
// the dead member, joins etcd and serves: etcd reports 3 healthy members with the new instance.
// The create's masters boot from their user-data too (bootWhen: masters, and every instance once
// replacing), as on AWS, while `tugboat create` forms etcd over SSH: the formation marker
// ("bootstrap", written before the stack) ends their boots at once with nothing installed and no
// failure report, and bootstrap writes "formed" afterwards, so the replacement joins. The worker
// is bootstrapped over SSH only. After `tugboat update` (every master then a replacement installed
// from its user-data, with instance-role credentials as on AWS) a lost quorum is recovered as
// docs/ha-masters.md#lost-quorum step 4 says: backup, two members' data lost, status, bootstrap
// of an empty etcd, restore.
const cluster = 'rejoin';
let h: CliCluster;
let state: string;
let replacing = false;
let masters: HaMaster[] = [];
let worker = '';
const log = (line: string) => process.stderr.write(`master-rejoin e2e: ${line}\n`);

beforeAll(async () => {
  h = await startCliCluster(cluster, 'rejoin', {
    bootFromUserData: true,
    bootWhen: (instance) => replacing || instance.tags['tugboat:role'] === 'master',
  });
  state = join(h.dir, 'state', cluster);
});

afterEach((context) => reportFailure(context.task.result?.state, h?.manager, h?.kubeconfig));

afterAll(() => tearDown(h?.manager, h?.moto, h?.dir));

it('tugboat create: three masters on a 3/3 healthy etcd', async () => {
  const created = await h.tugboat<{ hosts: { id: string; role: string; privateIp: string }[] }>(
    'create',
    '-f',
    writeHaSpec(h.dir, cluster),
    '--yes',
  );
  masters = created.hosts.filter((x) => x.role === 'master').map((m) => ({ id: m.id, address: m.privateIp }));
  worker = created.hosts.find((x) => x.role === 'worker')!.id;
  expect(masters).toHaveLength(3);
  expect((await etcdHealthFrom(state, masters[0]!, masters)).summary).toBe('3/3 etcd members healthy');
}, 900_000);

it("the masters' own user-data boots during create left etcd to bootstrap: exit 0, no failure report; the marker says formed", async () => {
  for (const m of masters) {
    const exit = await waitBooted(h.manager!, m.id);
    const bootLog = readFileSync(hostLog(h.manager!.host(m.id)!, 'boot.log')!, 'utf8');
    log(`create's master ${m.id}: user-data ended in ${exit.seconds.toFixed(1)} s`);
    expect(bootLog).toContain('is being formed by tugboat bootstrap (create), which installs this master');
    expect(bootLog).not.toMatch(/waiting up to|no quorum|ETCD_QUORUM|control plane installed/);
  }
  const { Account } = await awsCli<{ Account: string }>(h.env, 'sts', 'get-caller-identity');
  const reports = await awsCli<{ Contents?: { Key: string }[] }>(
    h.env,
    's3api',
    'list-objects-v2',
    '--bucket',
    clusterBucketName(Account, 'us-east-1'),
    '--prefix',
    `${cluster}/boot/`,
  );
  expect(reports.Contents ?? []).toEqual([]);
  expect(await formationMarker(h.env, cluster)).toEqual({
    state: 'formed',
    by: 'bootstrap',
    members: masters.map((m) => m.id).sort(),
  });
}, 900_000);

it('a terminated master is replaced and its replacement rejoins etcd by itself: 3/3 healthy, the old member gone', async () => {
  const dead = masters[2]!;
  const survivors = masters.slice(0, 2);
  const before = await etcdHealthFrom(state, survivors[0]!, masters);
  const deadId = before.members.find((m) => m.name === dead.id)!.id!;
  replacing = true;
  const killedAt = Date.now();
  await terminateKeepingCapacity(h.moto, dead.id);
  const replacement = await waitFor(
    async () => (await runningMasters(h.env, cluster)).find((id) => !masters.some((m) => m.id === id)),
    'a replacement master instance',
    300_000,
    500,
  );
  const exit = await waitBooted(h.manager!, replacement);
  const boot = h.manager!.boot(replacement)!;
  log(
    `replacement ${replacement} booted ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the termination (user-data ${exit.seconds} s)`,
  );
  expect(boot.consoleOutput()).toContain('boot complete');
  const host = h.manager!.host(replacement)!;
  // Its boot log: the dead member removed (the terminated instance's), then itself added.
  const bootLog = readFileSync(hostLog(host, 'boot.log')!, 'utf8');
  const removedAt = bootLog.indexOf(`removed dead etcd member ${dead.id}`);
  expect(removedAt, bootLog).toBeGreaterThan(-1);
  expect(bootLog.indexOf(`${replacement}: added as etcd member`)).toBeGreaterThan(removedAt);
  expect(bootLog).toContain('control plane installed on etcd');
  const now = [...survivors, { id: replacement, address: host.privateIp }];
  const health = await waitFor(
    async () => {
      const seen = await etcdHealthFrom(state, survivors[0]!, now);
      return seen.healthy ? seen : undefined;
    },
    'etcd 3/3 healthy with the replacement',
    120_000,
    1_000,
  );
  expect(health.summary).toBe('3/3 etcd members healthy');
  const registered = health.members.filter((m) => m.registered);
  expect(registered.map((m) => m.name).sort()).toEqual(now.map((m) => m.id).sort());
  expect(registered.map((m) => m.id)).not.toContain(deadId);
  // Its API server serves on the cluster's etcd, with the kubeconfig's credentials.
  expect(
    (
      await kubectlOk(h.kubeconfig, ['--server', `https://${host.privateIp}:6443`, 'get', '--raw', '/readyz'])
    ).trim(),
  ).toBe('ok');
  await kubectlOk(h.kubeconfig, [
    '--server',
    `https://${host.privateIp}:6443`,
    'create',
    'configmap',
    'rejoined',
  ]);
  await kubectlOk(h.kubeconfig, [
    '--server',
    `https://${survivors[0]!.address}:6443`,
    'get',
    'configmap',
    'rejoined',
  ]);
}, 900_000);

it('tugboat update with a new master instance type replaces the three masters one by one while a client writes: no acknowledged write lost, etcd 3/3 without the old members, every master t3.large', async () => {
  const before = await describeRunningMasters(h.moto, cluster);
  expect(before.map((m) => m.instanceType)).toEqual(['t3.medium', 't3.medium', 't3.medium']);
  const current = before.map((m) => ({ id: m.id, address: m.address }));
  const oldIds = (await etcdHealthFrom(state, current[0]!, current)).members
    .filter((m) => m.registered)
    .map((m) => m.id);
  expect(oldIds).toHaveLength(3);
  const spec = writeHaSpec(h.dir, cluster);
  const doc = parseDocument(readFileSync(spec, 'utf8'));
  doc.setIn(['master', 'instanceType'], 't3.large');
  writeFileSync(spec, doc.toString());
  // moto leaves the master groups on their old launch template version; the follower moves them
  // as CloudFormation does (update waits, bounded, for that).
  const follower = followLaunchTemplates(h.moto, cluster, (l) => log(`follower: ${l}`));
  const writer = new FollowingWriter(h.moto, cluster, h.kubeconfig, { prefix: 'u', rate: 20 });
  await writer.start();
  const started = performance.now();
  let moved = 0;
  const updated = await h
    .tugboat<{
      action: string;
      replaced?: { group: string; instance: string; surge: boolean; ms: number }[];
    }>('update', '-f', spec, '--yes')
    .finally(async () => {
      moved = await follower.stop();
      await writer.stop();
    });
  const total = performance.now() - started;
  expect(updated.action).toBe('updated');
  expect(moved).toBeGreaterThanOrEqual(3);
  const replaced = updated.replaced ?? [];
  // One at a time, in group order, masters only (the worker's type did not change).
  expect(replaced.map((r) => r.group)).toEqual(['master-1', 'master-2', 'master-3']);
  expect(replaced.map((r) => r.instance).sort()).toEqual(before.map((m) => m.id));
  log(
    `update to t3.large: ${(total / 1000).toFixed(1)} s in all; per master: ${replaced.map((r) => `${r.group} ${(r.ms / 1000).toFixed(1)} s`).join(', ')}`,
  );
  const writes = writer.writes();
  const figures = judgeWrites(writes, started);
  log(
    `writes during the update: ${figures.sent} sent by ${writer.generations} writers, ${figures.acknowledged} acknowledged, ${figures.failed} failed; longest failing stretch ${(figures.longestFailingMs / 1000).toFixed(1)} s, longest gap between acknowledgements ${(figures.longestAckGapMs / 1000).toFixed(1)} s; errors ${JSON.stringify(figures.errors)}`,
  );
  expect(figures.acknowledged).toBeGreaterThan(0);
  // A writer per set of masters: the first, and one after each termination and each launch.
  expect(writer.generations).toBeGreaterThanOrEqual(4);
  const after = await describeRunningMasters(h.moto, cluster);
  expect(after).toHaveLength(3);
  expect(after.map((m) => m.instanceType)).toEqual(['t3.large', 't3.large', 't3.large']);
  for (const m of before) expect(after.map((x) => x.id)).not.toContain(m.id);
  masters = after.map((m) => ({ id: m.id, address: m.address }));
  const health = await etcdHealthFrom(state, masters[0]!, masters);
  expect(health.summary).toBe('3/3 etcd members healthy');
  const registered = health.members.filter((m) => m.registered);
  expect(registered.map((m) => m.name).sort()).toEqual(masters.map((m) => m.id).sort());
  for (const id of oldIds) expect(registered.map((m) => m.id)).not.toContain(id);
  // Every acknowledged write is there, read through a new master.
  const stored = JSON.parse(
    await kubectlOk(h.kubeconfig, [
      '--server',
      `https://${masters[0]!.address}:6443`,
      'get',
      'configmaps',
      '-l',
      'tugboat.dev/ha-e2e',
      '-o',
      'json',
    ]),
  ) as { items: { metadata: { name: string } }[] };
  const names = new Set(stored.items.map((i) => i.metadata.name));
  const lost = writes.filter((w) => w.ok && !names.has(w.name)).map((w) => w.name);
  expect(lost).toEqual([]);
  // The worker's agent was told the new masters (none of the ones it was installed with is left):
  // its Lease is renewed after the update, read through the kubeconfig update rewrote.
  const doneAt = Date.now();
  await waitFor(
    async () => ((await leaseRenewals(h.kubeconfig)).get(worker) ?? 0) > doneAt || undefined,
    `worker ${worker} renewing its Lease on the new masters`,
    120_000,
    2_000,
  );
}, 1_800_000);

it('lost quorum end to end: backup, two members lose their data, status reports it, the documented recovery restores the backup: 3/3 healthy, the worker Ready', async () => {
  const kc = (...args: string[]) => kubectlOk(h.kubeconfig, args);
  const before = ['lq-before-1', 'lq-before-2', 'lq-before-3'];
  for (const name of before) await kc('create', 'configmap', name, `--from-literal=k=${name}`);
  const backup = await h.tugboat<{ name: string; keys: number }>('backup', 'create', cluster);
  log(`backup ${backup.name}: ${backup.keys} keys`);
  expect(backup.keys).toBeGreaterThan(before.length);
  await kc('create', 'configmap', 'lq-after-backup');
  for (const m of masters)
    log(`${m.id}: API server's --etcd-endpoints ${(await apiServerEtcdEndpoints(state, m)).join(',')}`);
  // Those endpoints name masters the update replaced; the store's line speaks of etcd's members.
  const healthy = await runCli(['status', cluster], { env: h.env, cwd: process.cwd() });
  expect(healthy.stdout.match(/^etcd: .*$/gm)).toEqual(['etcd: 3/3 etcd members healthy']);
  // A zone and a disk lost: two of three members stopped, their data gone.
  const lost = masters.slice(1);
  for (const m of lost) expect(await stopAndMoveEtcdData(state, m, LOSE_MEMBER, 'zone')).toBe(true);
  const lostAt = performance.now();
  const status = await waitLostQuorumStatus(h.env, cluster);
  log(
    `status reported the lost quorum ${((performance.now() - lostAt) / 1000).toFixed(1)} s after the loss (exit ${status.code}):\n${status.stdout}`,
  );
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^etcd: etcd has lost quorum: .*2 of 3 needed to write/m);
  for (const m of lost) expect(status.stdout).toMatch(new RegExp(`down: .*${m.id}`));
  expect(status.stdout).toContain(
    'if a majority of the masters lost their etcd data, restore from the latest backup: docs/ha-masters.md#lost-quorum',
  );
  // docs/ha-masters.md#lost-quorum, step 4, literally.
  // Only the survivor still has a data directory to move aside.
  const moved: boolean[] = [];
  for (const m of masters) moved.push(await stopAndMoveEtcdData(state, m, STOP_MASTER, 'restore'));
  expect(moved).toEqual([true, false, false]);
  const bootstrapAt = performance.now();
  await h.tugboat('bootstrap', cluster, '--yes');
  const bootstrapS = (performance.now() - bootstrapAt) / 1000;
  const listed = await h.tugboat<{ backups: { name: string }[] }>('backup', 'list', cluster);
  const newest = listed.backups.at(-1)?.name;
  expect(newest).toBe(backup.name);
  const restoreAt = performance.now();
  await h.tugboat('restore', cluster, '--from', newest!, '--yes');
  const restoreS = (performance.now() - restoreAt) / 1000;
  log(`recovery: bootstrap ${bootstrapS.toFixed(1)} s, restore ${restoreS.toFixed(1)} s`);
  const names = (await kc('get', 'configmaps', '-o', 'name')).split('\n');
  for (const name of before) expect(names).toContain(`configmap/${name}`);
  expect(names).not.toContain('configmap/lq-after-backup');
  expect((await etcdHealthFrom(state, masters[0]!, masters)).summary).toBe('3/3 etcd members healthy');
  for (const m of masters)
    expect(
      (
        await kubectlOk(h.kubeconfig, ['--server', `https://${m.address}:6443`, 'get', '--raw', '/readyz'])
      ).trim(),
    ).toBe('ok');
  // Every API server now names the masters running now (the update's replacements named gone ones).
  const current = masters.map((m) => `https://${m.address}:2379`).sort();
  for (const m of masters) expect((await apiServerEtcdEndpoints(state, m)).sort()).toEqual(current);
  const restoredAt = performance.now();
  await waitFor(
    async () => (await nodeReadiness(h.kubeconfig)).get(worker) === 'True' || undefined,
    `worker ${worker} Ready after the restore`,
    180_000,
    2_000,
  );
  log(`worker Node Ready ${((performance.now() - restoredAt) / 1000).toFixed(1)} s after the restore`);
}, 1_800_000);

it('tugboat delete leaves nothing (the formation marker included)', async () => {
  // The host harness keeps running for the next cluster of the same name.
  const deleted = await h.tugboat<{ clean: boolean }>('delete', cluster, '--yes');
  expect(deleted.clean).toBe(true);
  expect(await describeTagged(h.moto.env, cluster)).toEqual([]);
  await expect(
    awsCli(h.env, 'ssm', 'get-parameter', '--name', etcdFormationParameterName(cluster)),
  ).rejects.toThrow(/ParameterNotFound/);
  await h.manager!.waitFor((hosts) => hosts.length === 0, 'no hosts after delete', 120_000);
}, 900_000);

it('create --no-bootstrap of the same name (delete swept the marker): the masters form etcd from user-data and serve on it', async () => {
  replacing = true; // every instance runs its user-data now, as on AWS with no SSH bootstrap
  const created = await h.tugboat<{
    bootstrapped: boolean;
    hosts: { id: string; role: string; privateIp: string }[];
  }>('create', '-f', writeHaSpec(h.dir, cluster, '10.1.0.0/16'), '--no-bootstrap', '--yes');
  expect(created.bootstrapped).toBe(false);
  const formed = created.hosts.filter((x) => x.role === 'master');
  expect(formed).toHaveLength(3);
  for (const m of formed) {
    const exit = await waitBooted(h.manager!, m.id);
    log(`--no-bootstrap master ${m.id}: user-data ended in ${exit.seconds.toFixed(1)} s`);
    const bootLog = readFileSync(hostLog(h.manager!.host(m.id)!, 'boot.log')!, 'utf8');
    expect(bootLog).toContain('control plane installed on etcd');
    // Formed, not joined: no membership change, no wait for a quorum.
    expect(bootLog).not.toMatch(/added as etcd member|removed dead etcd member|waiting up to/);
  }
  expect(await formationMarker(h.env, cluster)).toEqual({
    state: 'formed',
    by: 'boot',
    members: formed.map((m) => m.id).sort(),
  });
  // The boots made the cluster's secrets: the admin kubeconfig comes from SSM, as on the no-client path.
  const kubeconfig = join(h.dir, 'formed.kubeconfig');
  await writeAdminKubeconfig(h.moto, cluster, kubeconfig);
  const on = (m: { privateIp: string }, ...args: string[]) =>
    kubectlOk(kubeconfig, ['--server', `https://${m.privateIp}:6443`, ...args]);
  for (const m of formed) expect((await on(m, 'get', '--raw', '/readyz')).trim()).toBe('ok');
  await on(formed[0]!, 'create', 'configmap', 'formed-from-user-data');
  await on(formed[2]!, 'get', 'configmap', 'formed-from-user-data');
}, 900_000);

it('tugboat delete leaves nothing (the cluster formed from user-data)', async () => {
  await deleteAndProveClean(h, cluster);
}, 900_000);
