import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_TAG } from '../../src/aws/types.js';
import { readBootFailures } from '../../src/boot/boot-report.js';
import { ensureMasterSecrets } from '../../src/boot/master-secrets.js';
import { CONTROL_PLANE_SERVICE } from '../../src/bootstrap/control-plane-install.js';
import { ETCD_SERVICE, type EtcdMember, etcdClientUrls } from '../../src/bootstrap/etcd-install.js';
import { etcdReleaseObjectKey, etcdReleasePaths } from '../../src/bootstrap/etcd-release.js';
import { servicePaths } from '../../src/bootstrap/service-units.js';
import { uploadEtcdReleases } from '../../src/cluster/etcd-release-upload.js';
import { RecordingEvents } from '../../src/events.js';
import type { CertificateAuthority } from '../../src/pki/authority.js';
import { secretsKeyAlias } from '../../src/provision/template/storage-names.js';
import { templateBucket } from '../../src/provision/template-store.js';
import { clusterSecrets } from '../../src/secrets/cluster-secrets.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import { etcdctlFor, etcdHosts, eventually } from '../support/etcd-members.js';
import { useTestEtcdRelease } from '../support/etcd-release.js';
import { startMasterBootEnv } from '../support/master-boot-env.js';
import { launchClusterInstance } from '../support/moto-ec2.js';

// Issue 17: etcd from the pinned release on a master without the distribution's package (Amazon
// Linux), through the whole `boot --role master --store etcd`: moto for EC2, SSM, KMS and S3, an
// IMDSv2 stand-in, real etcd. The release is a tarball in etcd's layout built from this machine's
// etcd, with the pin set to its SHA-256; the replacement masters' package path is somewhere
// absent, so each must fetch the staged tarball from S3, check it and run etcd from the unpacked
// directory. Three members form on 127.117.2.0/24 (this helper's range).
const cluster = 'etcdrel';
const release = useTestEtcdRelease('boot');
const noPackage = { etcdPath: join(release.dir, 'no-package', 'etcd'), etcdPin: release.pin };
let env: Awaited<ReturnType<typeof startMasterBootEnv>>;
let ca: CertificateAuthority;
let subnetId = '';
let masters: EtcdMember[] = [];
const shell = new LocalShell({ host: 'etcdrelease-boot' });
const hosts = () => etcdHosts(join(env.dir, 'etcd-hosts'), shell);

beforeAll(async () => {
  env = await startMasterBootEnv(cluster);
  const keyId = secretsKeyAlias(cluster);
  const store = clusterSecrets({ ssm: env.aws.ssm, kms: env.aws.kms, cluster, keyId });
  ca = (await ensureMasterSecrets({ store, ssm: env.aws.ssm, keyId })).ca;
  const vpc = await env.ec2.send(new CreateVpcCommand({ CidrBlock: '127.117.0.0/16' }));
  subnetId = (
    await env.ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: '127.117.2.0/24' }))
  ).Subnet!.SubnetId!;
  for (const n of [11, 12, 13]) {
    const i = await launchClusterInstance(env.ec2, cluster, { subnetId, privateIp: `127.117.2.${n}` });
    await env.ec2.send(
      new CreateTagsCommand({ Resources: [i.id], Tags: [{ Key: 'tugboat:role', Value: 'master' }] }),
    );
    masters.push({ name: i.id, address: i.ip });
  }
  masters = masters.sort((a, b) => a.name.localeCompare(b.name));
  await hosts().form(masters, ca, cluster);
  // The third master's instance is gone: the replacements below take its place.
  const { etcdctl } = etcdctlFor(ca, env.dir);
  await eventually('3 members healthy', () => etcdctl(etcdClientUrls(masters), ['endpoint', 'health']));
  await etcdctl(etcdClientUrls(masters), ['put', 'etcdrelease/before', 'kept']);
  await env.ec2.send(new TerminateInstancesCommand({ InstanceIds: [masters[2]!.name] }));
  hosts().kill(masters[2]!);
}, 300_000);

afterAll(async () => {
  if (env) await hosts().stopAll(masters);
  await env?.stop();
}, 120_000);

describe('boot --role master --store etcd on a host without the etcd package', () => {
  it('refuses a tampered staged tarball on the host: nothing unpacked or started, membership unchanged', async () => {
    const bucket = await templateBucket(env.aws);
    await env.aws.s3.ensurePrivateBucket(bucket, {});
    const key = etcdReleaseObjectKey(cluster, release.pin, 'amd64');
    const tampered = Buffer.from(release.tarball);
    tampered[100] = (tampered[100]! + 1) % 256;
    await env.aws.s3Bundles.putBinary(bucket, key, tampered, { [CLUSTER_TAG]: cluster });
    const { memberList } = etcdctlFor(ca, env.dir);
    const survivors = etcdClientUrls(masters.slice(0, 2));
    const before = (await memberList(survivors)).map((m) => m.ID).sort();

    await expect(
      env.bootMaster('tampered', { store: 'etcd' }, { subnetId, privateIp: '127.117.2.14' }, noPackage),
    ).rejects.toThrow(/refusing to install it/);
    const m = env.masters.at(-1)!;
    const failures = await readBootFailures(env.aws.s3, bucket, cluster, [m.instance.id]);
    expect(failures[0]!.reason).toContain(`differs from the pinned ${release.pin.archives.amd64.sha256}`);
    const p = etcdReleasePaths(m.layout, release.version);
    expect(existsSync(p.dir)).toBe(false);
    expect(readdirSync(p.root)).toEqual([]);
    expect(hosts().etcdOn(m.layout)).toEqual({ service: false, data: false });
    expect(existsSync(servicePaths(m.layout, CONTROL_PLANE_SERVICE).pidfile)).toBe(false);
    expect((await memberList(survivors)).map((x) => x.ID).sort()).toEqual(before);
    // This instance is given up (terminated), as the group would after its failed boot.
    await env.ec2.send(new TerminateInstancesCommand({ InstanceIds: [m.instance.id] }));
  }, 600_000);

  it('installs the release staged by create/update from S3 and runs its member from the unpacked directory', async () => {
    const bucket = await templateBucket(env.aws);
    const key = etcdReleaseObjectKey(cluster, release.pin, 'amd64');
    await env.aws.s3.deleteObject(bucket, key);
    // What create/update do with store etcd: stage the verified tarball once.
    const staging = new RecordingEvents();
    const stage = () =>
      uploadEtcdReleases({
        aws: env.aws,
        cluster,
        archs: ['amd64'],
        load: async () => release.tarball,
        events: staging,
        pin: release.pin,
      });
    expect(await stage()).toEqual([key]);
    await stage();
    expect(staging.events.map((e) => (e.data as { uploaded: boolean }).uploaded)).toEqual([true, false]);

    // An architecture whose release cannot be loaded: a warning with source auto, an error with release.
    const failing = (required: boolean) =>
      uploadEtcdReleases({
        aws: env.aws,
        cluster,
        archs: ['arm64'],
        load: () => Promise.reject(new Error('HTTP 404 Not Found')),
        events: staging,
        pin: release.pin,
        required,
      });
    expect(await failing(false)).toEqual([]);
    expect(staging.codes().at(-1)).toBe('etcd-release.upload-failed');
    await expect(failing(true)).rejects.toThrow('HTTP 404 Not Found');

    const m = await env.bootMaster(
      'release',
      { store: 'etcd' },
      { subnetId, privateIp: '127.117.2.15' },
      noPackage,
    );
    const p = etcdReleasePaths(m.layout, release.version);
    const binary = m.events.events.find((e) => e.code === 'boot.etcd-binary')!.data as {
      source: string;
      etcdPath: string;
    };
    expect(binary).toMatchObject({ source: 'release', etcdPath: p.etcd });
    expect(m.events.codes()).toContain('etcd-release.installed');
    // Its etcd runs the unpacked binary, and it joined the two survivors.
    const supervise = readFileSync(join(m.layout.opt, 'bin', `${ETCD_SERVICE}-supervise.sh`), 'utf8');
    expect(supervise).toContain(`${p.etcd} --name ${m.instance.id}`);
    const pid = Number(readFileSync(servicePaths(m.layout, ETCD_SERVICE).childPidfile, 'utf8').trim());
    expect(readlinkSync(`/proc/${pid}/exe`)).toBe(p.etcd);
    const now = [...masters.slice(0, 2), { name: m.instance.id, address: '127.117.2.15' }];
    const { etcdctl, memberList } = etcdctlFor(ca, env.dir);
    await eventually('3 healthy', () => etcdctl(etcdClientUrls(now), ['endpoint', 'health']));
    expect((await memberList(etcdClientUrls(now))).map((x) => x.name).sort()).toEqual(
      now.map((x) => x.name).sort(),
    );
    const [own] = etcdClientUrls([now[2]!]);
    expect((await etcdctl([own!], ['get', 'etcdrelease/before', '--print-value-only'])).trim()).toBe('kept');
  }, 600_000);
});
