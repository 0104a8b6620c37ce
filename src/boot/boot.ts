import { fetchInstanceIdentity, type InstanceIdentity } from '../agent/imds.js';
import { TugboatError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { templateBucket } from '../provision/template-store.js';
import type { BootSpecSettings } from './boot-flags.js';
import { type BootFailure, writeBootFailure } from './boot-report.js';
import { type MasterBootOverrides, runMasterBoot } from './master-boot.js';
import { runWorkerBoot, type WorkerBootOverrides } from './worker-boot.js';

/** What an instance is, as its user-data says (the launch template it was launched from). */
export interface BootRole {
  readonly cluster: string;
  readonly role: 'master' | 'worker';
  /** Worker group. @default none (the master) */
  readonly group?: string;
  /** The stack's region (AWS::Region); must be the instance's own. */
  readonly region: string;
}

/** Options of {@link runBoot}. */
export interface RunBootOptions extends BootRole {
  /** The spec's settings from the launch template (group labels, taints, EIP; ranges, API name). @default none */
  readonly spec?: BootSpecSettings;
  /** IMDS endpoint (`AWS_EC2_METADATA_SERVICE_ENDPOINT`). @default http://169.254.169.254 */
  readonly imdsEndpoint?: string;
  /** @default silentEvents */
  readonly events?: EventSink;
  /**
   * Leaves a failure where `tugboat status` reads it. @default a report in the cluster's S3 prefix
   * (`<cluster>/boot/<instance-id>.json`), written with the instance role
   */
  readonly reportFailure?: (failure: BootFailure) => Promise<void>;
  /** Environment of the AWS clients (endpoint; credentials come from the instance role). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Where and how a master installs itself. @default the real host's (see MasterBootOverrides) */
  readonly master?: MasterBootOverrides;
  /** Where and how a worker installs itself. @default the real host's (see WorkerBootOverrides) */
  readonly worker?: WorkerBootOverrides;
}

/** A boot that cannot install its role on this build or this instance; the message says why and what to do. */
export class BootError extends TugboatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BOOT', message, options);
  }
}

/**
 * What an instance runs at boot (`<bundle> boot`, from its user-data, after the bundle was
 * verified): reads its identity from IMDSv2, checks it is where its launch template says, and
 * installs its role from the cluster's own sources. Throws a {@link BootError} naming what is
 * missing while a source is not available, so the boot log and console output say why.
 */
export async function runBoot(options: RunBootOptions): Promise<void> {
  const events = options.events ?? silentEvents;
  const identity = await fetchInstanceIdentity({
    ...(options.imdsEndpoint ? { endpoint: options.imdsEndpoint } : {}),
  });
  events.emit({
    code: 'boot.identity',
    level: 'info',
    message: `instance ${identity.instanceId} (${identity.instanceType}, ${identity.availabilityZone}, ${identity.privateIp}) boots as ${options.role}${options.group ? ` of group ${options.group}` : ''} in cluster ${options.cluster}`,
    data: { ...identity, role: options.role, cluster: options.cluster },
  });
  try {
    return await installRole(options, identity);
  } catch (err) {
    const failure: BootFailure = {
      instanceId: identity.instanceId,
      role: options.role,
      ...(options.group ? { group: options.group } : {}),
      reason: (err as Error).message,
      at: new Date().toISOString(),
    };
    // The boot log and console output say why in any case; a report that cannot be written only
    // means `tugboat status` cannot show it.
    await (options.reportFailure ?? reportToS3(options.region, options.cluster, options.env))(failure).catch(
      (reportErr: unknown) =>
        events.emit({
          code: 'boot.report-failed',
          level: 'warn',
          message: `could not leave the failure for tugboat status in S3: ${(reportErr as Error).message}`,
        }),
    );
    throw err;
  }
}

/** The default failure report: the cluster's S3 prefix of the account's tugboat bucket. */
function reportToS3(
  region: string,
  cluster: string,
  env: NodeJS.ProcessEnv | undefined,
): (failure: BootFailure) => Promise<void> {
  return async (failure) => {
    const { createAwsClients } = await import('../aws/clients.js');
    const aws = await createAwsClients({ region, requestTimeoutMs: 15_000, ...(env ? { env } : {}) });
    return writeBootFailure(aws.s3, await templateBucket(aws), cluster, failure);
  };
}

async function installRole(options: RunBootOptions, identity: InstanceIdentity): Promise<void> {
  if (identity.region !== options.region)
    throw new BootError(
      `instance ${identity.instanceId} runs in ${identity.region}, but its user-data is for cluster ${options.cluster} in ${options.region}: launch it from the cluster's own launch template`,
    );
  // Both roles install with the SSH bootstrap's own installers (installControlPlane, installAgent
  // over a LocalShell), so a booted host has the same layout as a bootstrapped one.
  const { createAwsClients } = await import('../aws/clients.js');
  const aws = await createAwsClients({
    region: options.region,
    requestTimeoutMs: 15_000,
    ...(options.env ? { env: options.env } : {}),
  });
  if (options.role === 'master') {
    await runMasterBoot({
      ...options.master,
      cluster: options.cluster,
      identity,
      aws,
      ...(options.spec ? { spec: options.spec } : {}),
      ...(options.events ? { events: options.events } : {}),
    });
    return;
  }
  await runWorkerBoot({
    ...options.worker,
    cluster: options.cluster,
    ...(options.group ? { group: options.group } : {}),
    identity,
    ssm: aws.ssm,
    ec2: aws.ec2,
    ...(options.spec ? { spec: options.spec } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
}
