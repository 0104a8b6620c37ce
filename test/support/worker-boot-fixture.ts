import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createAwsClients } from '../../src/aws/clients.js';
import { runBoot } from '../../src/boot/boot.js';
import type { BootSpecSettings } from '../../src/boot/boot-flags.js';
import { apiServerParameterName } from '../../src/boot/master-endpoint.js';
import type { WorkerBootOverrides } from '../../src/boot/worker-boot.js';
import { AGENT_SERVICE } from '../../src/bootstrap/agent-install.js';
import { buildHostLayout, type HostLayout } from '../../src/bootstrap/layout.js';
import { stopService } from '../../src/bootstrap/service.js';
import type { KubeClient } from '../../src/client/index.js';
import { type RunningControlPlane, startControlPlane } from '../../src/control-plane/main.js';
import { RecordingEvents } from '../../src/events.js';
import { clusterSecrets } from '../../src/secrets/cluster-secrets.js';
import { LocalShell } from '../../src/ssh/local-shell.js';
import type { ImdsServer } from '../harness/imds.js';
import { type Moto, startMoto } from '../harness/moto.js';
import { launchBootingInstance } from './booting-instance.js';
import { makeTestPki, type TestPki } from './certs.js';
import { adminClient } from './control-cluster.js';
import { signingControlPlaneOptions, writeTestFile } from './control-plane-files.js';
import { motoEc2Client } from './moto-ec2.js';

/** Options of {@link WorkerBootFixture.bootWorker}. */
export interface BootWorkerOptions {
  /** The cluster tag of the launched instance. @default the fixture's cluster */
  readonly tagCluster?: string;
  readonly joinTimeoutMs: number;
  readonly spec?: BootSpecSettings;
  readonly at?: { subnetId: string; privateIp: string };
  /** More of the worker's overrides (e.g. `createStaleMs`). @default none */
  readonly worker?: WorkerBootOverrides;
  /** Prepares the host before its boot starts (files an earlier install left). @default nothing */
  readonly beforeBoot?: (instanceId: string, layout: HostLayout) => void;
}

/**
 * What a worker's boot needs around it, as the stack, `create` (or the first master) leave it:
 * moto for SSM, KMS and EC2, the CA certificate and bootstrap token in SSM, the API address
 * published, and a real control plane on loopback with the EC2 verifier and `--join-token-file`
 * (the token's Secret comes from the control plane itself, as on a booted master). Instances get
 * an IMDSv2 stand-in each (no AWS keys in the environment) and a host layout under a temp root;
 * agents are real processes from the real host bundle, supervised as on a host without systemd.
 */
export class WorkerBootFixture {
  readonly workers: { layout: HostLayout; shell: LocalShell; imds: ImdsServer }[] = [];

  private constructor(
    private readonly saved: NodeJS.ProcessEnv,
    readonly cluster: string,
    readonly token: string,
    readonly dir: string,
    readonly moto: Moto,
    readonly ec2: EC2Client,
    readonly bundlePath: string,
    readonly pki: TestPki,
    readonly cp: RunningControlPlane,
    readonly admin: KubeClient,
  ) {}

  /** Starts everything for `cluster`; the bootstrap token is `token`. */
  static async start(cluster: string, token: string): Promise<WorkerBootFixture> {
    const saved = { ...process.env };
    const dir = mkdtempSync(join(tmpdir(), `tugboat-bootworker-${process.pid}-`));
    const moto = await startMoto();
    try {
      return await WorkerBootFixture.around(saved, cluster, token, dir, moto);
    } catch (err) {
      await moto.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private static async around(
    saved: NodeJS.ProcessEnv,
    cluster: string,
    token: string,
    dir: string,
    moto: Moto,
  ): Promise<WorkerBootFixture> {
    const ec2 = motoEc2Client(moto);
    const manifest = JSON.parse(
      execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'bundles')], {
        encoding: 'utf8',
      }),
    ) as { file: string };
    const pki = makeTestPki();
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    const kms = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
    const key = await kms.send(new CreateKeyCommand({ Description: `${cluster} secrets` }));
    await kms.send(
      new CreateAliasCommand({ AliasName: `alias/tugboat-${cluster}`, TargetKeyId: key.KeyMetadata!.KeyId! }),
    );
    kms.destroy();
    const aws = await createAwsClients({ env: moto.env });
    const store = clusterSecrets({ ssm: aws.ssm, kms: aws.kms, cluster, keyId: `alias/tugboat-${cluster}` });
    await store.ensure('caCert', () => pki.ca.cert);
    await store.ensure('bootstrapToken', () => token);
    const kubeletClient = pki.client('tugboat-apiserver', ['tugboat:apiservers']);
    const cp = await startControlPlane({
      ...signingControlPlaneOptions(join(dir, 'master'), pki),
      joinTokenFile: writeTestFile(dir, 'join-token', token),
      // The API server's client certificate for logs/exec on the agents.
      kubeletClientCertificate: writeTestFile(dir, 'kubelet-client.crt', kubeletClient.cert),
      kubeletClientKey: writeTestFile(dir, 'kubelet-client.key', kubeletClient.key),
      cloud: { provider: 'aws', cluster, region: 'us-east-1', env: moto.env },
    });
    const admin = adminClient(pki, cp.url);
    const ssm = new SSMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials });
    await ssm.send(
      new PutParameterCommand({ Name: apiServerParameterName(cluster), Value: cp.url, Type: 'String' }),
    );
    ssm.destroy();
    const bundlePath = join(dir, 'bundles', manifest.file);
    return new WorkerBootFixture(saved, cluster, token, dir, moto, ec2, bundlePath, pki, cp, admin);
  }

  /** Boots an instance as a worker of the fixture's cluster, as its user-data would (`runBoot`). */
  async bootWorker(name: string, options: BootWorkerOptions) {
    const { cluster } = this;
    const { instance, imds, env } = await launchBootingInstance({
      ec2: this.ec2,
      moto: this.moto,
      dir: this.dir,
      cluster,
      tagCluster: options.tagCluster ?? cluster,
      role: 'worker',
      name,
      ...(options.at ? { at: options.at } : {}),
    });
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const layout = buildHostLayout({ root: join(this.dir, name) });
    options.beforeBoot?.(instance.id, layout);
    const shell = new LocalShell({ host: name, env });
    this.workers.push({ layout, shell, imds });
    const events = new RecordingEvents();
    const failures: string[] = [];
    const booted = runBoot({
      role: 'worker',
      cluster,
      group: 'blue',
      region: 'us-east-1',
      ...(options.spec ? { spec: options.spec } : {}),
      imdsEndpoint: imds.endpoint,
      env,
      events,
      reportFailure: async (f) => {
        failures.push(f.reason);
      },
      worker: {
        layout,
        shell,
        bundlePath: this.bundlePath,
        mode: 'supervised',
        runtime: 'process',
        imds: 'off',
        listen: `${options.at?.privateIp ?? '127.0.0.1'}:0`,
        joinTimeoutMs: options.joinTimeoutMs,
        pollMs: 200,
        ...options.worker,
      },
    });
    return { instance, layout, shell, events, booted, failures };
  }

  /** Stops every agent, IMDS stand-in, the control plane and moto; removes the temp root. */
  async stop(): Promise<void> {
    for (const w of this.workers) {
      await stopService(w.shell, AGENT_SERVICE, { layout: w.layout, mode: 'supervised' }).catch(
        () => undefined,
      );
      await w.imds.close();
    }
    process.env = this.saved;
    this.admin.close();
    await this.cp.stop();
    this.ec2.destroy();
    await this.moto.stop();
    rmSync(this.pki.dir, { recursive: true, force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
