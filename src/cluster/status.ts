import { CLUSTER_TAG } from '../aws/types.js';
import { type BootFailure, readBootFailures } from '../boot/boot-report.js';
import { DeploymentError } from '../errors.js';
import { checkClusterName, stackNameOf } from '../naming.js';
import { type GroupStatus, type Host, listClusterInstances } from '../provision/cluster-instances.js';
import { listPool, type PoolAddress } from '../provision/eip.js';
import { OUTPUTS, parseClusterSettings } from '../provision/template/index.js';
import { templateBucket } from '../provision/template-store.js';
import { type ControlPlaneCheck, masterControlPlaneChecks } from './control-plane-checks.js';
import { API_ENDPOINT_OUTPUT, type LifecycleOptions } from './types.js';

/** Options of `clusterStatus`. */
export interface ClusterStatusOptions extends LifecycleOptions {
  readonly cluster: string;
  /**
   * Also ask each master's API server for `/readyz?verbose` (etcd's quorum, members down), when
   * the local state holds the cluster CA. @default false
   */
  readonly controlPlane?: boolean;
  /** Root of the local state (for the CA). @default stateRoot() */
  readonly stateRoot?: string;
}

/** A cluster as AWS reports it (no local state needed). */
export interface ClusterStatus {
  readonly cluster: string;
  readonly region: string;
  readonly stackName: string;
  /** Absent when the stack is gone but tagged groups remain. */
  readonly stack?: {
    readonly status: string;
    readonly reason?: string;
    readonly outputs: Readonly<Record<string, string>>;
  };
  readonly apiEndpoint?: string;
  readonly groups: readonly GroupStatus[];
  readonly hosts: readonly Host[];
  readonly eips: readonly PoolAddress[];
  /** Running instances whose boot from user-data failed, with the reason they left (`<cluster>/boot/`). */
  readonly bootFailures: readonly BootFailure[];
  /** Each master's `/readyz` (with `controlPlane`, when the local state has the CA). */
  readonly controlPlane?: readonly ControlPlaneCheck[];
}

/** Stack status, each group's desired vs in-service, each instance and the EIP pool. */
export async function clusterStatus(options: ClusterStatusOptions): Promise<ClusterStatus> {
  const cluster = checkClusterName(options.cluster);
  const { aws } = options;
  const stackName = stackNameOf(cluster);
  const [stack, inventory, eips] = await Promise.all([
    aws.cloudFormation.describeStack(stackName),
    listClusterInstances({ ec2: aws.ec2, autoScaling: aws.autoScaling, cluster }),
    listPool(aws.ec2, cluster),
  ]);
  if (!stack && inventory.groups.length === 0) {
    throw new DeploymentError(
      'CLUSTER_NOT_FOUND',
      `cluster "${cluster}" not found in ${aws.region}: check the name and --region (\`tugboat list\` shows the clusters)`,
    );
  }
  const apiEndpoint = stack?.outputs[API_ENDPOINT_OUTPUT];
  const bootFailures = await readBootFailures(
    aws.s3,
    await templateBucket(aws),
    cluster,
    inventory.hosts.map((h) => h.id),
  );
  const controlPlane = options.controlPlane
    ? await masterControlPlaneChecks(cluster, inventory.hosts, {
        ...(options.stateRoot ? { stateRoot: options.stateRoot } : {}),
        address:
          (stack && parseClusterSettings(stack.outputs[OUTPUTS.bootstrapSettings])?.sshAddress) || 'public',
      })
    : undefined;
  return {
    cluster,
    region: aws.region,
    stackName,
    ...(stack
      ? {
          stack: {
            status: stack.status,
            ...(stack.statusReason ? { reason: stack.statusReason } : {}),
            outputs: stack.outputs,
          },
        }
      : {}),
    ...(apiEndpoint ? { apiEndpoint } : {}),
    groups: inventory.groups,
    hosts: inventory.hosts,
    eips,
    bootFailures,
    ...(controlPlane ? { controlPlane } : {}),
  };
}

/** One cluster in `listClusters`. */
export interface ClusterSummary {
  readonly cluster: string;
  readonly stackName: string;
  readonly status: string;
}

/** Every tugboat cluster in the region (stacks tagged `tugboat:cluster`). */
export async function listClusters(options: LifecycleOptions): Promise<ClusterSummary[]> {
  const stacks = await options.aws.cloudFormation.listStacks();
  return stacks
    .filter((s) => s.tags[CLUSTER_TAG] && s.name === stackNameOf(s.tags[CLUSTER_TAG]))
    .map((s) => ({ cluster: s.tags[CLUSTER_TAG] ?? '', stackName: s.name, status: s.status }))
    .sort((a, b) => a.cluster.localeCompare(b.cluster));
}
