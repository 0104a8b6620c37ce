import { etcdFormationParameterName } from '../../src/boot/etcd-formation.js';
import { awsCli } from './booted-cluster.js';

/**
 * What the no-client and master-rejoin e2e read from AWS the way an operator would: with the AWS
 * CLI alone (no tugboat code between the test and the emulator).
 */

interface AwsInstance {
  InstanceId: string;
  PrivateIpAddress?: string;
  Tags?: { Key: string; Value: string }[];
}

/** Running instances of `cluster`, role and private address by instance id. */
export async function runningInstances(
  env: NodeJS.ProcessEnv,
  cluster: string,
): Promise<Map<string, { role: string; address: string }>> {
  const out = await awsCli<{ Reservations: { Instances: AwsInstance[] }[] }>(
    env,
    'ec2',
    'describe-instances',
    '--filters',
    `Name=tag:tugboat:cluster,Values=${cluster}`,
    'Name=instance-state-name,Values=running',
  );
  return new Map(
    out.Reservations.flatMap((r) => r.Instances).map((i) => [
      i.InstanceId,
      {
        role: i.Tags?.find((t) => t.Key === 'tugboat:role')?.Value ?? '',
        address: i.PrivateIpAddress ?? '',
      },
    ]),
  );
}

/** The stack's `SecretsKeyId` output (the cluster's KMS key). */
export async function secretsKeyOf(env: NodeJS.ProcessEnv, cluster: string): Promise<string> {
  const out = await awsCli<{ Stacks: { Outputs?: { OutputKey: string; OutputValue: string }[] }[] }>(
    env,
    'cloudformation',
    'describe-stacks',
    '--stack-name',
    `tugboat-${cluster}`,
  );
  const id = out.Stacks[0]?.Outputs?.find((o) => o.OutputKey === 'SecretsKeyId')?.OutputValue;
  if (!id) throw new Error(`stack tugboat-${cluster} has no SecretsKeyId output`);
  return id;
}

/** The etcd formation marker of `cluster` (members sorted; `at` left out). */
export async function formationMarker(
  env: NodeJS.ProcessEnv,
  cluster: string,
): Promise<{ state: string; by: string; members: string[] }> {
  const out = await awsCli<{ Parameter: { Value: string } }>(
    env,
    'ssm',
    'get-parameter',
    '--name',
    etcdFormationParameterName(cluster),
  );
  const { state, by, members } = JSON.parse(out.Parameter.Value) as {
    state: string;
    by: string;
    members: string[];
  };
  return { state, by, members: [...members].sort() };
}
