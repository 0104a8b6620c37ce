import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBootFailures } from '../../src/boot/boot-report.js';
import { readEtcdFormation, writeEtcdFormation } from '../../src/boot/etcd-formation.js';
import { findOtherMasters } from '../../src/boot/master-peers.js';
import { ensureMasterSecrets } from '../../src/boot/master-secrets.js';
import { CONTROL_PLANE_SERVICE } from '../../src/bootstrap/control-plane-install.js';
import { type EtcdMember, etcdClientUrls } from '../../src/bootstrap/etcd-install.js';
import { servicePaths } from '../../src/bootstrap/service-units.js';
import type { CertificateAuthority } from '../../src/pki/authority.js';
import { secretsKeyAlias } from '../../src/provision/template/storage-names.js';
import { templateBucket } from '../../src/provision/template-store.js';
import { clusterSecrets } from '../../src/secrets/cluster-secrets.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { etcdctlFor, etcdHosts, eventually, hexMemberId } from '../support/etcd-members.js';
import { startMasterBootEnv } from '../support/master-boot-env.js';
import { launchClusterInstance } from '../support/moto-ec2.js';
import { tlsCaller } from '../support/tls-call.js';

// Issue 17, "a replaced master rejoins", through the whole `boot --role master --store etcd`: moto
// for EC2, SSM, KMS and S3, an IMDSv2 stand-in, the real host bundle's control plane and real etcd
// processes. Three masters' etcd members run on loopback addresses of a moto subnet
// (127.91.2.0/24, this helper's range) under the instance ids moto gave them; the third instance is
// terminated and its etcd killed and wiped; the replacement boots from what its user-data passes
// and rejoins with no bootstrap.
const cluster = 'mjboot';
let env: Awaited<ReturnType<typeof startMasterBootEnv>>;
let ca: CertificateAuthority;
let subnetId = '';
let masters: EtcdMember[] = [];
const shell = new LocalShell({ host: 'masterjoin-boot' });
const hosts = () => etcdHosts(join(env.dir, 'etcd-hosts'), shell);
const tag = (id: string, key: string, value: string) =>
  env.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: key, Value: value }] }));

beforeAll(async () => {
  env = await startMasterBootEnv(cluster);
  // The cluster's CA as `tugboat create` stores it: the replacement reads the same one from SSM.
  const keyId = secretsKeyAlias(cluster);
  const store = clusterSecrets({ ssm: env.aws.ssm, kms: env.aws.kms, cluster, keyId });
  ca = (await ensureMasterSecrets({ store, ssm: env.aws.ssm, keyId })).ca;
  const vpc = await env.ec2.send(new CreateVpcCommand({ CidrBlock: '127.91.0.0/16' }));
  subnetId = (
    await env.ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '127.91.2.0/24' }))
  ).Subnet!.SubnetId!;
  for (const n of [11, 12, 13]) {
    const i = await launchClusterInstance(env.ec2, cluster, { subnetId, privateIp: `127.91.2.${n}` });
    await tag(i.id, 'tugboat:role', 'master');
    masters.push({ name: i.id, address: i.ip });
  }
  masters = masters.sort((a, b) => a.name.localeCompare(b.name));
  await hosts().form(masters, ca, cluster);
}, 300_000);

afterAll(async () => {
  if (env) await hosts().stopAll(masters);
  await env?.stop();
}, 120_000);

describe('boot --role master --store etcd: a replaced master rejoins by itself', () => {
  it('finds the other masters in EC2: running, tagged master, of this cluster, not itself', async () => {
    const worker = await launchClusterInstance(env.ec2, cluster, { subnetId, privateIp: '127.91.2.30' });
    await tag(worker.id, 'tugboat:role', 'worker');
    const stranger = await launchClusterInstance(env.ec2, 'another', { subnetId, privateIp: '127.91.2.31' });
    await tag(stranger.id, 'tugboat:role', 'master');
    expect(await findOtherMasters(env.aws.ec2, cluster, masters[0]!.name)).toEqual(masters.slice(1));
  });

  it('a master booting while create forms etcd over SSH (marker "bootstrap") leaves everything to it at once', async () => {
    await writeEtcdFormation(env.aws.ssm, cluster, { state: 'bootstrap', at: new Date().toISOString() });
    const m = await env.bootMaster(
      'while-bootstrap',
      { store: 'etcd', masters: 3 },
      { subnetId, privateIp: '127.91.2.20' },
    );
    // Ended before reading anything: no wait for quorum, no secrets, no etcd, no control plane.
    expect(m.events.codes()).toEqual(['boot.identity', 'boot.left-to-bootstrap']);
    expect(hosts().etcdOn(m.layout)).toEqual({ service: false, data: false });
    expect(existsSync(servicePaths(m.layout, CONTROL_PLANE_SERVICE).pidfile)).toBe(false);
    expect(
      await readBootFailures(env.aws.s3, await templateBucket(env.aws), cluster, [m.instance.id]),
    ).toEqual([]);
    // The formed cluster's membership is untouched (the old boot would have joined it as a 4th member).
    const { memberList } = etcdctlFor(ca, env.dir);
    expect((await memberList(etcdClientUrls(masters))).map((x) => x.name).sort()).toEqual(
      masters.map((x) => x.name),
    );
    await env.ec2.send(new TerminateInstancesCommand({ InstanceIds: [m.instance.id] }));
  }, 300_000);

  it('the replacement removes the dead member, joins, serves on etcd; the data is intact', async () => {
    // What bootstrap wrote once it formed the cluster: a master booting now is a replacement.
    await writeEtcdFormation(env.aws.ssm, cluster, {
      state: 'formed',
      by: 'bootstrap',
      members: masters.map((x) => x.name),
      at: new Date().toISOString(),
    });
    const { etcdctl, memberList } = etcdctlFor(ca, env.dir);
    const urls = etcdClientUrls(masters);
    await eventually('3 members healthy', () => etcdctl(urls, ['endpoint', 'health']));
    await etcdctl(urls, ['put', 'masterjoin/before', 'kept']);
    const dead = masters[2]!;
    const deadId = (await memberList(urls)).find((m) => m.name === dead.name)!.ID;

    // The instance is terminated (the group replaces it) and everything on it is gone.
    await env.ec2.send(new TerminateInstancesCommand({ InstanceIds: [dead.name] }));
    hosts().kill(dead);
    const survivors = masters.slice(0, 2);
    expect(await findOtherMasters(env.aws.ec2, cluster, 'i-none')).toEqual(survivors);

    const backup = { schedule: '0 3 * * *', retain: 4 };
    const m = await env.bootMaster(
      'replacement',
      { store: 'etcd', masters: 3, backup },
      { subnetId, privateIp: '127.91.2.14' },
    );
    const codes = m.events.codes();
    // `etcd.no-quorum-yet` first when the killed member was the leader (an election under way).
    expect(codes.filter((c) => c.startsWith('etcd.') && c !== 'etcd.no-quorum-yet')).toEqual([
      'etcd.member-removed',
      'etcd.member-added',
    ]);
    expect(codes.indexOf('boot.etcd-member')).toBeLessThan(codes.indexOf('boot.serving'));
    const removed = m.events.events.find((e) => e.code === 'etcd.member-removed')!.data as { id: string };
    expect(hexMemberId(removed.id)).toBe(deadId);

    const now = [...survivors, { name: m.instance.id, address: '127.91.2.14' }];
    const health = JSON.parse(
      await eventually('3 healthy', () => etcdctl(etcdClientUrls(now), ['endpoint', 'health', '-w', 'json'])),
    ) as { health: boolean }[];
    expect(health.map((h) => h.health)).toEqual([true, true, true]);
    const listed = await memberList(etcdClientUrls(now));
    expect(listed.map((x) => x.name).sort()).toEqual(now.map((x) => x.name).sort());
    expect(listed.map((x) => x.ID)).not.toContain(deadId);
    const [own] = etcdClientUrls([now[2]!]);
    expect((await etcdctl([own!], ['get', 'masterjoin/before', '--print-value-only'])).trim()).toBe('kept');

    // Its control plane is on etcd (own member first), not on shipped state.
    const unit = readFileSync(join(m.layout.opt, 'bin', `${CONTROL_PLANE_SERVICE}-supervise.sh`), 'utf8');
    expect(unit).toContain(
      `--store etcd --etcd-endpoints ${etcdClientUrls([now[2]!, ...survivors]).join(',')}`,
    );
    // The spec's backup: the cluster's bucket takes its scheduled backups of etcd (nothing ships).
    expect(unit).toMatch(
      /--state-bucket \S+ --state-prefix mjboot --backup-schedule '0 3 \* \* \*' --backup-retain 4/,
    );
    // It serves: a ConfigMap written through it is stored in the cluster's etcd (read via a survivor).
    const { cert, caPem } = await env.adminOf();
    const call = tlsCaller(
      () => `https://127.0.0.1:${m.port}`,
      () => caPem,
    );
    const created = await call('POST', '/api/v1/namespaces/default/configmaps', {
      cert,
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-replace' }, data: { a: '1' } },
    });
    expect(created.status).toBe(201);
    const keys = await etcdctl([etcdClientUrls([survivors[0]!])[0]!], ['get', '', '--prefix', '--keys-only']);
    expect(keys).toMatch(/configmaps.*after-replace/);
    // The formed marker's members follow the membership (the replacement in, the dead one out).
    expect(await readEtcdFormation(env.aws.ssm, cluster)).toMatchObject({
      state: 'formed',
      by: 'bootstrap',
      members: now.map((x) => x.name).sort(),
    });
    // It holds a master address of the pool (the only one, free).
    const addresses = await env.ec2.send(new DescribeAddressesCommand({}));
    const eip = addresses.Addresses!.find((a) => a.Tags?.some((t) => t.Key === 'tugboat:pool'))!;
    expect(eip.InstanceId).toBe(m.instance.id);
  }, 600_000);

  it('without quorum the next replacement fails its boot with the recovery, reported for tugboat status, and forms nothing', async () => {
    // Two of the three members' instances are gone; only the replacement's etcd is left.
    for (const m of masters.slice(0, 2)) {
      await env.ec2.send(new TerminateInstancesCommand({ InstanceIds: [m.name] }));
      hosts().kill(m);
    }
    const joined = env.masters[0]!;
    const { memberList } = etcdctlFor(ca, env.dir);
    const [joinedUrl] = etcdClientUrls([{ name: joined.instance.id, address: '127.91.2.14' }]);
    const before = await memberList([joinedUrl!]);
    await expect(
      env.bootMaster('late', { store: 'etcd', masters: 3 }, { subnetId, privateIp: '127.91.2.15' }),
    ).rejects.toThrow(/has no etcd data and cannot join: etcd has lost quorum/);
    const late = env.masters.at(-1)!;
    const failures = await readBootFailures(env.aws.s3, await templateBucket(env.aws), cluster, [
      late.instance.id,
    ]);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.reason).toMatch(/never forms a new etcd cluster/);
    // A member of the marker still runs (the joined replacement): a lost quorum, no stale-marker hint.
    expect(failures[0]!.reason).not.toContain('formation marker');
    expect(failures[0]!.reason).toMatch(
      /restore from the latest backup: see docs\/ha-masters\.md#lost-quorum/,
    );
    // Nothing formed or installed on it; the membership is unchanged.
    expect(hosts().etcdOn(late.layout)).toEqual({ service: false, data: false });
    expect(existsSync(servicePaths(late.layout, CONTROL_PLANE_SERVICE).pidfile)).toBe(false);
    expect((await memberList([joinedUrl!])).map((x) => x.ID).sort()).toEqual(before.map((x) => x.ID).sort());
  }, 600_000);
});
