import { UsageError } from '../errors.js';
import type { InstanceVerifier } from './controllers/instance-verifier.js';

/**
 * The cloud the control plane runs in (kube-controller-manager's `--cloud-provider`,
 * `--cluster-name`): with it the CSR approver grants node certificates on its own for running
 * instances of this cluster, and Nodes whose instance is gone are deleted.
 */
export interface CloudProviderOptions {
  readonly provider: 'aws';
  /** The cluster's name: instances carry `tugboat:cluster=<cluster>`. */
  readonly cluster: string;
  /** The cluster's region. */
  readonly region: string;
  /** Environment of the EC2 client (AWS_ENDPOINT_URL, keys); the instance role otherwise. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

const CLUSTER = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Checks the cloud settings (the flags' own words in each message). */
export function checkCloudProvider(cloud: CloudProviderOptions): void {
  if (cloud.provider !== 'aws')
    throw new UsageError(`--cloud-provider ${String(cloud.provider)} is not supported: use aws`);
  if (!CLUSTER.test(cloud.cluster))
    throw new UsageError(
      `--cluster-name "${cloud.cluster}" is not a cluster name: lowercase letters, digits and dashes, e.g. --cluster-name demo`,
    );
  if (!REGION.test(cloud.region))
    throw new UsageError(
      `--cloud-region "${cloud.region}" is not an AWS region: e.g. --cloud-region us-east-1`,
    );
}

/**
 * The instance verifier of a cloud: EC2 DescribeInstances by instance id and cluster tag. The
 * AWS modules load only here, so a control plane without a cloud never loads the SDK.
 */
export async function cloudInstanceVerifier(cloud: CloudProviderOptions): Promise<InstanceVerifier> {
  checkCloudProvider(cloud);
  const [{ createEipClaimEc2 }, { ec2InstanceVerifier }] = await Promise.all([
    import('../aws/eip-claim.js'),
    import('../aws/instance-verifier.js'),
  ]);
  return ec2InstanceVerifier(createEipClaimEc2(cloud.region, cloud.env ?? process.env), cloud.cluster);
}
