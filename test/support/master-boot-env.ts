import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createAwsClients } from '../../src/aws/clients.js';
import { runBoot } from '../../src/boot/boot.js';
import type { BootSpecSettings } from '../../src/boot/boot-flags.js';
import type { MasterBootOverrides } from '../../src/boot/master-boot.js';
import { CONTROL_PLANE_SERVICE } from '../../src/bootstrap/control-plane-install.js';
import { ETCD_SERVICE } from '../../src/bootstrap/etcd-install.js';
import { buildHostLayout, type HostLayout } from '../../src/bootstrap/layout.js';
import { stopService } from '../../src/bootstrap/service.js';
import { RecordingEvents } from '../../src/events.js';
import { clusterBucketName } from '../../src/provision/template/storage-names.js';
import { secretParameterName } from '../../src/secrets/cluster-secrets.js';
import { parsePair } from '../../src/secrets/secrets-plan.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import type { ImdsServer } from '../harness/imds.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { freePort } from '../harness/process.js';
import { launchBootingInstance } from './booting-instance.js';
import { allocatePoolAddress, motoEc2Client } from './moto-ec2.js';

/** Events with the time each arrived (benchmarks split a boot into phases by them). */
export class TimedEvents extends RecordingEvents {
  readonly times: number[] = [];
  override emit(event: Parameters<RecordingEvents['emit']>[0]): void {
    super.emit(event);
    this.times.push(Date.now());
  }
  /** When the first event with this code arrived. */
  at(code: string): number {
    return this.times[this.events.findIndex((e) => e.code === code)] ?? Number.NaN;
  }
}

/** One "instance" booted as the master. */
export interface BootedMaster {
  readonly instance: { readonly id: string; readonly ip: string };
  readonly imds: ImdsServer;
  readonly layout: HostLayout;
  readonly shell: LocalShell;
  readonly port: number;
  readonly events: TimedEvents;
}

/**
 * What a master booting from user-data finds, on moto: the stack's secrets key with its alias,
 * the account's bucket, a master pool EIP, and the real host bundle. Each `bootMaster` launches
 * an instance, gives it an IMDSv2 stand-in (the only source of AWS credentials: the process
 * environment loses its keys while this runs) and runs `boot --role master` with a temp root,
 * a loopback port and a supervised control plane.
 */
export async function startMasterBootEnv(cluster: string) {
  const saved = { ...process.env };
  const dir = mkdtempSync(join(tmpdir(), `tugboat-bootmaster-${process.pid}-`));
  const moto: Moto = await startMoto();
  const manifest = JSON.parse(
    execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'bundles')], {
      encoding: 'utf8',
    }),
  ) as { file: string };
  const bundlePath = join(dir, 'bundles', manifest.file);
  const kms = new KMSClient({
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const key = await kms.send(new CreateKeyCommand({ Description: `${cluster} secrets` }));
  await kms.send(
    new CreateAliasCommand({ AliasName: `alias/tugboat-${cluster}`, TargetKeyId: key.KeyMetadata!.KeyId! }),
  );
  kms.destroy();
  const aws = await createAwsClients({ env: moto.env });
  await aws.s3.ensurePrivateBucket(
    { bucket: clusterBucketName('123456789012', 'us-east-1'), owner: '123456789012' },
    {},
  );
  const ec2 = motoEc2Client(moto);
  await allocatePoolAddress(ec2, cluster, 'master');
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
    delete process.env[k];
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials');
  process.env.AWS_CONFIG_FILE = join(dir, 'no-config');
  const masters: BootedMaster[] = [];

  /**
   * Boots a master; `spec` is what its launch template's user-data passes (buildBootArgs); `at`
   * puts the instance on a loopback address of a moto subnet (etcd members dial it).
   */
  async function bootMaster(
    name: string,
    spec?: BootSpecSettings,
    at?: { readonly subnetId: string; readonly privateIp: string },
    overrides?: Pick<MasterBootOverrides, 'etcdPath' | 'etcdPin'>,
  ): Promise<BootedMaster> {
    const { instance, imds, env } = await launchBootingInstance({
      ec2,
      moto,
      dir,
      cluster,
      role: 'master',
      name,
      ...(at ? { at } : {}),
    });
    // As the master groups tag their instances: the other masters find each other by it.
    await ec2.send(
      new CreateTagsCommand({ Resources: [instance.id], Tags: [{ Key: 'tugboat:role', Value: 'master' }] }),
    );
    const layout = buildHostLayout({ root: join(dir, name) });
    const shell = new LocalShell({ host: name, env });
    const port = await freePort();
    const events = new TimedEvents();
    const booted = { instance, imds, layout, shell, port, events };
    masters.push(booted);
    await runBoot({
      role: 'master',
      cluster,
      region: 'us-east-1',
      ...(spec ? { spec } : {}),
      imdsEndpoint: imds.endpoint,
      env,
      events,
      master: {
        layout,
        shell,
        bundlePath,
        listen: `127.0.0.1:${port}`,
        mode: 'supervised',
        readyTimeoutMs: 300_000,
        // A lost quorum is reported after 10 s here, not a minute.
        etcdQuorumWaitMs: 10_000,
        ...overrides,
      },
    });
    return booted;
  }

  /** The admin credential and CA certificate the cluster's SSM holds. */
  async function adminOf() {
    const admin = parsePair('admin', (await aws.ssm.getSecureString(secretParameterName(cluster, 'admin')))!);
    const caPem = (await aws.ssm.getSecureString(secretParameterName(cluster, 'caCert')))!;
    return { cert: { cert: admin.certPem, key: admin.keyPem }, caPem };
  }

  async function stop() {
    for (const m of masters) {
      for (const service of [CONTROL_PLANE_SERVICE, ETCD_SERVICE])
        await stopService(m.shell, service, { layout: m.layout, mode: 'supervised' }).catch(() => undefined);
      await m.imds.close();
    }
    process.env = saved;
    ec2.destroy();
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  return { moto, aws, ec2, dir, masters, bootMaster, adminOf, stop };
}
