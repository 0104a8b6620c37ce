import { join } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { startImdsServer } from '../harness/imds.js';
import type { Moto } from '../harness/moto.js';
import { launchClusterInstance } from './moto-ec2.js';

/**
 * An instance as EC2 boots it, on moto: launched tagged with `tagCluster`, with an IMDSv2
 * stand-in that hands out the credentials of `tugboat-<cluster>-<role>` (the only source of AWS
 * credentials: no keys in `env`), and the environment its user-data runs with. The SDK's
 * instance-metadata provider reads its endpoint from process.env, so this points it there too.
 */
export async function launchBootingInstance(options: {
  readonly ec2: EC2Client;
  readonly moto: Moto;
  readonly dir: string;
  readonly cluster: string;
  readonly tagCluster?: string;
  readonly role: 'master' | 'worker';
  readonly name: string;
  /** See launchClusterInstance. @default moto's subnet and address */
  readonly at?: { readonly subnetId: string; readonly privateIp: string };
}) {
  const { name, dir } = options;
  const instance = await launchClusterInstance(
    options.ec2,
    options.tagCluster ?? options.cluster,
    options.at,
  );
  const imds = await startImdsServer({
    instanceId: instance.id,
    region: 'us-east-1',
    availabilityZone: 'us-east-1a',
    instanceType: 't3.small',
    privateIp: instance.ip,
    role: `tugboat-${options.cluster}-${options.role}`,
    accessKeyId: `ASIA${name.toUpperCase()}`,
    secretAccessKey: 'test',
    sessionToken: `session-${name}`,
  });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_ENDPOINT_URL: options.moto.endpoint,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_CONFIG_FILE: join(dir, 'no-config'),
  };
  process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds.endpoint;
  return { instance, imds, env };
}
