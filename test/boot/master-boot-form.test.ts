import { CreateSubnetCommand, CreateVpcCommand, DescribeAddressesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readBootFailures } from '../../src/boot/boot-report.js';
import { readEtcdFormation } from '../../src/boot/etcd-formation.js';
import { apiServersParameterName, readFailoverServers } from '../../src/boot/master-endpoint.js';
import { ensureMasterSecrets } from '../../src/boot/master-secrets.js';
import { type EtcdMember, etcdClientUrls } from '../../src/bootstrap/etcd-install.js';
import { secretsKeyAlias } from '../../src/provision/template/storage-names.js';
import { templateBucket } from '../../src/provision/template-store.js';
import { clusterSecrets } from '../../src/secrets/cluster-secrets.js';
import { etcdctlFor, eventually } from '../support/etcd-members.js';
import { startMasterBootEnv } from '../support/master-boot-env.js';
import { allocatePoolAddress } from '../support/moto-ec2.js';
import { tlsCaller } from '../support/tls-call.js';

// Issue 17, a new 3-master cluster with no SSH bootstrap (`create --no-bootstrap`, the "no client"
// path), through the whole `boot --role master --store etcd --masters 3` of three instances at
// once: moto for EC2, SSM, KMS and S3 (empty: the boots create the secrets), an IMDSv2 stand-in
// each, the real host bundle's control plane and real etcd on a moto subnet of loopback addresses
// (127.93.2.0/24, this helper's range). No formation marker exists, so the boots form etcd.
const cluster = 'crform';
let env: Awaited<ReturnType<typeof startMasterBootEnv>>;
let subnetId = '';

beforeAll(async () => {
  env = await startMasterBootEnv(cluster);
  const vpc = await env.ec2.send(new CreateVpcCommand({ CidrBlock: '127.93.0.0/16' }));
  subnetId = (
    await env.ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '127.93.2.0/24' }))
  ).Subnet!.SubnetId!;
  // One master address per master, as the template's pool has (the env made the first).
  await allocatePoolAddress(env.ec2, cluster, 'master');
  await allocatePoolAddress(env.ec2, cluster, 'master');
}, 300_000);

afterAll(async () => {
  await env?.stop();
}, 120_000);

it('three masters booting at once with no marker form one etcd, serve on it, hold one address each, and mark it formed', async () => {
  const booted = await Promise.all(
    [11, 12, 13].map((n) =>
      env.bootMaster(`form-${n}`, { store: 'etcd', masters: 3 }, { subnetId, privateIp: `127.93.2.${n}` }),
    ),
  );
  const members: EtcdMember[] = booted
    .map((m) => ({ name: m.instance.id, address: m.instance.ip }))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const m of booted) {
    const codes = m.events.codes();
    // Formed, not joined: nobody changed the membership, nobody waited for a quorum.
    expect(codes.filter((c) => /^etcd\.(member|no-quorum)/.test(c))).toEqual([]);
    expect(codes).toContain('boot.master-ready');
  }
  // The three boots agreed on one CA (conditional creates), so etcdctl with it reaches every member.
  const keyId = secretsKeyAlias(cluster);
  const secrets = await ensureMasterSecrets({
    store: clusterSecrets({ ssm: env.aws.ssm, kms: env.aws.kms, cluster, keyId }),
    ssm: env.aws.ssm,
    keyId,
  });
  expect(secrets.created).toEqual([]);
  const { ca } = secrets;
  const caPem = ca.certPem;
  const { etcdctl, memberList } = etcdctlFor(ca, env.dir);
  const urls = etcdClientUrls(members);
  const health = JSON.parse(
    await eventually('3 healthy', () => etcdctl(urls, ['endpoint', 'health', '-w', 'json'])),
  ) as { health: boolean }[];
  expect(health.map((h) => h.health)).toEqual([true, true, true]);
  expect((await memberList(urls)).map((m) => m.name).sort()).toEqual(members.map((m) => m.name));
  // One cluster: a ConfigMap written through the first master's API server is read through the third.
  const { cert } = await env.adminOf();
  const via = (m: (typeof booted)[number]) =>
    tlsCaller(
      () => `https://127.0.0.1:${m.port}`,
      () => caPem,
    );
  const created = await via(booted[0]!)('POST', '/api/v1/namespaces/default/configmaps', {
    cert,
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'formed' }, data: { a: '1' } },
  });
  expect(created.status).toBe(201);
  const read = await eventually('read via the third', async () => {
    const r = await via(booted[2]!)('GET', '/api/v1/namespaces/default/configmaps/formed', { cert });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return r;
  });
  expect(read.status).toBe(200);
  // Each holds its own master address: the race for the free ones was lost and retried, never shared.
  const addresses = (await env.ec2.send(new DescribeAddressesCommand({}))).Addresses ?? [];
  const holders = addresses.filter((a) => a.Tags?.some((t) => t.Value === 'master')).map((a) => a.InstanceId);
  expect(holders.sort()).toEqual(members.map((m) => m.name));
  // Every master's API address for the workers' failover: the last writer's own (its master
  // address), then the other two at their private addresses.
  const list = JSON.parse((await env.aws.ssm.getSecureString(apiServersParameterName(cluster)))!) as string[];
  expect(list).toHaveLength(3);
  const hostOf = (u: string) => new URL(u).hostname;
  const writer = addresses.find((a) => a.PublicIp === hostOf(list[0]!))?.InstanceId;
  expect(members.map((m) => m.name)).toContain(writer);
  expect(list.slice(1).map(hostOf).sort()).toEqual(
    members
      .filter((m) => m.name !== writer)
      .map((m) => m.address)
      .sort(),
  );
  expect(await readFailoverServers(env.aws.ssm, cluster, list[0]!)).toEqual(list.slice(1));
  // The marker: formed by the boots, so a master booting later joins.
  expect(await readEtcdFormation(env.aws.ssm, cluster)).toMatchObject({
    state: 'formed',
    by: 'boot',
    members: members.map((m) => m.name),
  });
  expect(
    await readBootFailures(
      env.aws.s3,
      await templateBucket(env.aws),
      cluster,
      members.map((m) => m.name),
    ),
  ).toEqual([]);
}, 900_000);
