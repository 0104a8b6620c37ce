import { EC2Client } from '@aws-sdk/client-ec2';
import { type EventSink, silentEvents } from '../events.js';
import type { Ec2Address, Ec2Api } from './ec2.js';
import { sdkEc2 } from './ec2-sdk.js';
import { isAwsError } from './errors.js';
import { CLUSTER_TAG, clusterFilter, POOL_TAG, tagFilter } from './types.js';

/** Options of `claimPoolAddress`. */
export interface EipClaimOptions {
  readonly ec2: Ec2Api;
  readonly cluster: string;
  /** Value of the `tugboat:pool` tag to claim from (`workers` or a worker group name). */
  readonly pool: string;
  /** This instance (from IMDSv2). */
  readonly instanceId: string;
  /** Attempts when another instance wins the race for the same address. @default 5 */
  readonly maxAttempts?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/**
 * Claims a free Elastic IP of the cluster's pool for this instance, as a node agent does at
 * boot: an address already associated with this instance is kept (the claim survives agent
 * restarts); otherwise a free one is associated with AllowReassociation=false, so an address in
 * use is never stolen, and a lost race re-reads the pool and tries another. Returns undefined when
 * the pool has no free address.
 */
export async function claimPoolAddress(options: EipClaimOptions): Promise<Ec2Address | undefined> {
  const events = options.events ?? silentEvents;
  const attempts = options.maxAttempts ?? 5;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const pool = (
      await options.ec2.describeAddresses([clusterFilter(options.cluster), tagFilter(POOL_TAG, options.pool)])
    ).filter((a) => a.tags[CLUSTER_TAG] === options.cluster && a.tags[POOL_TAG] === options.pool);
    const mine = pool.find((a) => a.instanceId === options.instanceId);
    if (mine) return mine;
    const free = pool.filter((a) => !a.associationId && !a.instanceId);
    if (free.length === 0) {
      events.emit({
        code: 'eip.none-free',
        level: 'warn',
        message: `no free address in pool ${options.pool} of cluster ${options.cluster}`,
        data: { pool: options.pool },
      });
      return undefined;
    }
    // Start at an instance-dependent offset so instances booting together try different addresses.
    const pick = free[hash(options.instanceId) % free.length] as Ec2Address;
    try {
      const associationId = await options.ec2.associateAddress({
        allocationId: pick.allocationId,
        instanceId: options.instanceId,
        allowReassociation: false,
      });
      events.emit({
        code: 'eip.claimed',
        level: 'info',
        message: `claimed ${pick.publicIp} for ${options.instanceId}`,
        data: { allocationId: pick.allocationId },
      });
      return { ...pick, associationId, instanceId: options.instanceId };
    } catch (err) {
      if (!isAwsError(err, 'Resource.AlreadyAssociated', 'InvalidParameterValue', 'InvalidAddress.InUse'))
        throw err;
      events.emit({
        code: 'eip.race-lost',
        level: 'info',
        message: `${pick.publicIp} was taken by another instance; retrying (${attempt}/${attempts})`,
        data: {},
      });
    }
  }
  return undefined;
}

/** An EC2 API client for the agent's claim (only EC2; region from IMDS, endpoint from AWS_ENDPOINT_URL). */
export function createEipClaimEc2(region: string, env: NodeJS.ProcessEnv = process.env): Ec2Api {
  const endpoint = env.AWS_ENDPOINT_URL || undefined;
  // Keys in `env` are used directly (tests, moto); otherwise the default chain finds the instance role.
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  return sdkEc2(
    new EC2Client({
      region,
      maxAttempts: 5,
      ...(endpoint ? { endpoint } : {}),
      ...(credentials ? { credentials } : {}),
    }),
    endpoint,
  );
}

function hash(text: string): number {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}
