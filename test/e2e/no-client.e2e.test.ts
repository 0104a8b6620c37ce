import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { NODE_RUNTIME } from '../../src/bootstrap/node-runtime.js';
import { runtimeFileName } from '../../src/bootstrap/runtime-cache.js';
import { runCli } from '../support/cli.js';
import { SETUP_RUNTIME_CACHE } from '../support/node-runtime.js';
import { waitFor } from '../support/wait.js';
import { formationMarker, runningInstances, secretsKeyOf } from './aws-cli-reads.js';
import { awsCli, buildSleeperDeployment, waitBooted } from './booted-cluster.js';
import { type CliCluster, deleteAndProveClean, startCliCluster } from './cli-cluster.js';
import { reportFailure, tearDown } from './e2e-teardown.js';
import { kubectl, kubectlOk, listPods, nodeReadiness } from './kubectl.js';
import {
  builtBundle,
  deployWithAwsCli,
  type NoClientDeploy,
  s3Keys,
  switchHosts,
  writeHaNoClientSpec,
  writeNamedSpec,
} from './no-client-steps.js';

// Issue 15, acceptance 5, 6 and 7, on instances that boot from their user-data as EC2 boots them
// (the host harness: IMDSv2 at 169.254.169.254, moto as the instance's AWS endpoint).
// 5. `tugboat template` output of three masters (etcd) deployed with the AWS CLI alone: the
//    masters form etcd from their user-data (no formation marker: static bootstrapping), one of
//    them creates the CA and the secrets, the workers join, `tugboat kubeconfig` (no local state)
//    then kubectl.
// 6. a backup of that etcd (taken by the masters on the spec's schedule: nobody holds an SSH key)
//    → `delete --keep-backups` → `create` a new cluster (one master, embedded store) → `restore
//    NEW --from OLD/BACKUP` → the objects are back.
// 7. `delete` proves nothing is left, and the test checks SSM, Secrets Manager, KMS and S3 itself.
const first = 'nc';
const second = 'ncnew';
let h: CliCluster;
let deployed: NoClientDeploy;
let kubeconfig = '';
let backup = '';
/** The clusters' KMS keys, from their stacks' outputs while they exist. */
const clusterKeys: string[] = [];
const configMaps = Array.from({ length: 20 }, (_, i) => `kept-${i}`);

/** Waits until exactly `ids` are Nodes and all Ready. */
function waitNodesReady(ids: readonly string[]): Promise<true> {
  return waitFor(
    async () => {
      const ready = await nodeReadiness(kubeconfig);
      return ready.size === ids.length && ids.every((id) => ready.get(id) === 'True');
    },
    `nodes ${ids.join(', ')} Ready (and no others)`,
    600_000,
    1_000,
  );
}

function renderWorkloads(): string {
  const cms = configMaps.map((name) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default' },
    data: { value: name },
  }));
  const deployment = buildSleeperDeployment('kept', 2);
  return [...cms, deployment].map((o) => stringify(o)).join('---\n');
}

/** Waits until the Deployment's 2 pods are Running on existing nodes. */
function waitKeptRunning(): Promise<true> {
  return waitFor(
    async () => {
      const [pods, nodes] = await Promise.all([listPods(kubeconfig, 'app=kept'), nodeReadiness(kubeconfig)]);
      const live = pods.filter((p) => !p.deleting);
      return (
        live.length === 2 && live.every((p) => p.phase === 'Running' && nodes.get(p.node ?? '') === 'True')
      );
    },
    'the 2 pods of Deployment kept Running',
    600_000,
    1_000,
  );
}

beforeAll(async () => {
  h = await startCliCluster(first, 'noclient', { bootFromUserData: true });
});

afterEach((context) => reportFailure(context.task.result?.state, h?.manager, kubeconfig || undefined));

afterAll(() => tearDown(h?.manager, h?.moto, h?.dir));

it('5. tugboat template of three masters deployed with the AWS CLI alone: the masters form etcd from user-data (3/3 healthy), one creates the secrets, the workers join, tugboat kubeconfig then kubectl get nodes shows them Ready', async () => {
  const spec = writeHaNoClientSpec(h.dir, first);
  const template = join(h.dir, 'template.json');
  writeFileSync(template, JSON.stringify(await h.tugboat('template', '-f', spec)));
  const runtime = join(SETUP_RUNTIME_CACHE, runtimeFileName(NODE_RUNTIME, 'x64'));
  deployed = await deployWithAwsCli(h.env, first, { template, bundle: builtBundle(), runtime });
  // The template names the runtime key the operator computed with sha512sum.
  expect(JSON.stringify(await h.tugboat('template', '-f', spec))).toContain(deployed.runtimeKey);

  const instances = await waitFor(
    async () => {
      const running = await runningInstances(h.env, first);
      return running.size === 4 ? running : undefined;
    },
    'the 4 instances of the stack running (3 masters, 1 worker)',
    300_000,
    1_000,
  );
  const masters = [...instances].filter(([, i]) => i.role === 'master').map(([id, i]) => ({ id, ...i }));
  const workers = [...instances].filter(([, i]) => i.role === 'worker').map(([id]) => id);
  expect(masters).toHaveLength(3);
  for (const id of [...masters.map((m) => m.id), ...workers]) {
    const exit = await waitBooted(h.manager!, id);
    process.stderr.write(`boot of ${id}: ${exit.seconds.toFixed(1)} s\n`);
  }
  // Nobody ran tugboat create (no local CA or kubeconfig; the harness keeps only the hosts' keys
  // there): one master made the cluster's secrets, each once, in SSM; the others used them.
  for (const local of ['pki', 'kubeconfig'])
    expect(existsSync(join(h.dir, 'state', first, local))).toBe(false);
  const bootLogs = masters.map((m) =>
    readFileSync(join(h.manager!.host(m.id)!.layout.root, 'var/log/tugboat/boot.log'), 'utf8'),
  );
  expect(bootLogs.filter((l) => l.includes('no CA in SSM yet: this master created'))).toHaveLength(1);
  for (const l of bootLogs) {
    // Formed by static bootstrapping: no membership change, no quorum wait, no failure.
    expect(l).toContain('control plane installed on etcd');
    expect(l).not.toMatch(/added as etcd member|removed dead etcd member|waiting up to|ETCD_/);
  }
  const params = await awsCli<{ Parameters: { Name: string; Type: string }[] }>(
    h.env,
    'ssm',
    'describe-parameters',
  );
  const secure = params.Parameters.filter((p) => p.Type === 'SecureString').map((p) => p.Name);
  expect(secure.sort()).toEqual(
    ['admin/admin', 'master/ca', 'master/service-account-key', 'worker/bootstrap-token', 'worker/ca-cert']
      .map((n) => `/tugboat/${first}/${n}`)
      .sort(),
  );
  // The formation marker did not exist before: the boots wrote it once etcd had all three.
  expect(await formationMarker(h.env, first)).toMatchObject({
    state: 'formed',
    by: 'boot',
    members: masters.map((m) => m.id).sort(),
  });

  const merged = await h.tugboat<{ kubeconfig: string; context: string; current: boolean }>(
    'kubeconfig',
    first,
  );
  expect(merged.current).toBe(true);
  kubeconfig = merged.kubeconfig;
  clusterKeys.push(await secretsKeyOf(h.env, first));
  // Every master's API server, asked with the fetched credentials, sees the three members healthy.
  for (const m of masters) {
    const verbose = await waitFor(
      async () => {
        const r = await kubectl(kubeconfig, [
          '--server',
          `https://${m.address}:6443`,
          'get',
          '--raw',
          '/readyz?verbose',
        ]);
        return r.code === 0 && r.stdout.includes('[+]etcd ok: 3/3 etcd members healthy')
          ? r.stdout
          : undefined;
      },
      `master ${m.id}: /readyz?verbose says 3/3 etcd members healthy`,
      120_000,
      1_000,
    );
    process.stderr.write(`master ${m.id} /readyz?verbose:\n${verbose}\n`);
  }
  await waitNodesReady(workers);
  process.stderr.write(`kubectl get nodes:\n${await kubectlOk(kubeconfig, ['get', 'nodes'])}\n`);
  // The worker's agent has every master: the one it joined as --server, the other two as
  // --failover-server (from worker/api-servers, which the masters published).
  const agent = readFileSync(
    join(h.manager!.host(workers[0]!)!.layout.root, 'opt/tugboat/bin/tugboat-agent-supervise.sh'),
    'utf8',
  );
  expect(agent.match(/--failover-server/g)).toHaveLength(2);
  expect([...new Set(agent.match(/https:\/\/[0-9.]+:6443/g))].sort()).toEqual(
    masters.map((m) => `https://${m.address}:6443`).sort(),
  );
});

it('6. a scheduled backup of etcd → delete --keep-backups → create a new cluster → restore NEW --from OLD/BACKUP: the ConfigMaps and the Deployment are back', async () => {
  await kubectlOk(kubeconfig, ['apply', '-f', '-'], renderWorkloads());
  await waitKeptRunning();
  const listed = JSON.parse(await kubectlOk(kubeconfig, ['get', 'configmaps,deployments', '-o', 'json'])) as {
    items: { metadata: { resourceVersion: string } }[];
  };
  // etcd ships nothing: the leading master backs it up every minute (the spec's backup:). The
  // first backup at or past the newest object's revision holds everything written so far. (The
  // List kubectl prints is its own, with resourceVersion "": the objects carry the revisions.)
  const written = Math.max(...listed.items.map((i) => Number(i.metadata.resourceVersion)));
  expect(written).toBeGreaterThan(0);
  const made = await waitFor(
    async () => {
      const { backups } = await h.tugboat<{
        backups: { name: string; revision: number; keys: number; store?: string }[];
      }>('backup', 'list', first);
      return backups.find((b) => b.revision >= written);
    },
    `a scheduled backup of etcd at revision ${written} or later`,
    240_000,
    2_000,
  );
  expect(made.store).toBe('etcd');
  process.stderr.write(`backup of etcd: ${JSON.stringify(made)}\n`);
  backup = made.name;
  // `backup create` reaches a master over SSH, and nobody here holds the key: it says so and
  // points at the schedule, instead of failing on each master.
  const { SSH_AUTH_SOCK: _agent, ...noAgent } = h.env;
  const refused = await runCli(['-o', 'json', 'backup', 'create', first], {
    env: noAgent,
    cwd: process.cwd(),
  });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain(`cluster "${first}" keeps its store in etcd`);
  expect(refused.stderr).toContain('set backup.schedule in its spec');

  const deleted = await h.tugboat<{ clean: boolean }>('delete', first, '--keep-backups', '--yes');
  expect(deleted.clean).toBe(true);
  await h.manager!.waitFor((hosts) => hosts.length === 0, 'no hosts after delete', 120_000);
  // The masters back up every minute until their instances are off; delete waits for EC2's
  // terminated and then for the prefix to stay quiet, so nothing lands after its proof but the
  // backups it was told to keep.
  const left = await s3Keys(h.env, deployed.bucket, `${first}/`);
  expect(left.filter((k) => k.startsWith(`${first}/backups/${backup}/`))).not.toEqual([]);
  expect(left.filter((k) => !k.startsWith(`${first}/backups/`))).toEqual([]);

  // A new cluster, made by tugboat create (its instances boot from user-data, so its master ships).
  await switchHosts(h, second, { bootFromUserData: true });
  const created = await h.tugboat<{ hosts: { id: string; group: string }[] }>(
    'create',
    '-f',
    writeNamedSpec(h.dir, second, ['blue']),
    '--no-bootstrap',
    '--yes',
  );
  clusterKeys.push(await secretsKeyOf(h.env, second));
  const master = created.hosts.find((x) => x.group === 'master')!.id;
  const worker = created.hosts.find((x) => x.group === 'blue')!.id;
  for (const id of [master, worker]) await waitBooted(h.manager!, id);
  kubeconfig = join(h.dir, `${second}.kubeconfig`);
  const fetched = await h.tugboat<Record<string, unknown>>('kubeconfig', second, '--from-aws', '--print');
  writeFileSync(kubeconfig, JSON.stringify(fetched), { mode: 0o600 });
  await waitNodesReady([worker]);
  expect(await kubectlOk(kubeconfig, ['get', 'configmaps', '-o', 'name'])).not.toContain('kept-0');

  const restored = await h.tugboat<Record<string, unknown>>(
    'restore',
    second,
    '--from',
    `${first}/${backup}`,
    '--yes',
  );
  process.stderr.write(`restore: ${JSON.stringify(restored)}\n`);
  const names = (await kubectlOk(kubeconfig, ['get', 'configmaps', '-o', 'name']))
    .split('\n')
    .filter((l) => l.startsWith('configmap/kept-'))
    .map((l) => l.slice('configmap/'.length));
  expect(names.sort()).toEqual([...configMaps].sort());
  const kept = JSON.parse(await kubectlOk(kubeconfig, ['get', 'configmap', 'kept-7', '-o', 'json'])) as {
    data: Record<string, string>;
  };
  expect(kept.data).toEqual({ value: 'kept-7' });
  await kubectlOk(kubeconfig, ['get', 'deployment', 'kept']);
  // The old cluster's Nodes came back with the backup; their instances are gone, so the cloud
  // node lifecycle removes them, and the new worker is a Node again: the pods run on it.
  await waitNodesReady([worker]);
  await waitKeptRunning();
});

it('7. delete without --keep-backups leaves nothing: tugboat proves it, and SSM, Secrets Manager, KMS and S3 say so', async () => {
  await deleteAndProveClean(h, second);
  // The first cluster has no stack any more; deleting it again removes the backups it kept.
  const again = await h.tugboat<{ clean: boolean }>('delete', first, '--yes');
  expect(again.clean).toBe(true);

  const params = await awsCli<{ Parameters: { Name: string }[] }>(h.env, 'ssm', 'describe-parameters');
  expect(params.Parameters.map((p) => p.Name).filter((n) => n.startsWith('/tugboat/'))).toEqual([]);
  const secrets = await awsCli<{ SecretList: { Name: string }[] }>(h.env, 'secretsmanager', 'list-secrets');
  expect(secrets.SecretList.map((s) => s.Name)).toEqual([]);
  const aliases = await awsCli<{ Aliases: { AliasName: string }[] }>(h.env, 'kms', 'list-aliases');
  expect(aliases.Aliases.map((a) => a.AliasName).filter((a) => a.startsWith('alias/tugboat-'))).toEqual([]);
  // Both clusters' keys are gone or pending deletion (which counts as gone).
  expect(clusterKeys).toHaveLength(2);
  const listed = (await awsCli<{ Keys: { KeyId: string }[] }>(h.env, 'kms', 'list-keys')).Keys.map(
    (k) => k.KeyId,
  );
  for (const id of clusterKeys.filter((k) => listed.includes(k))) {
    const d = await awsCli<{ KeyMetadata: { KeyState: string } }>(
      h.env,
      'kms',
      'describe-key',
      '--key-id',
      id,
    );
    expect(d.KeyMetadata.KeyState, `key ${id}`).toBe('PendingDeletion');
  }
  expect(await s3Keys(h.env, deployed.bucket)).toEqual([]);
  const pairs = await awsCli<{ KeyPairs: { KeyName: string }[] }>(h.env, 'ec2', 'describe-key-pairs');
  expect(pairs.KeyPairs.map((p) => p.KeyName)).toEqual([]);
});
