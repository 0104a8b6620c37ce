import type { AwsClients } from '../aws/clients.js';
import {
  type BackupInfo,
  createBackup,
  findShippedState,
  listBackups,
  type StateTarget,
} from '../control-plane/store/shipping/index.js';
import { DeploymentError } from '../errors.js';
import { checkClusterName, stackNameOf } from '../naming.js';
import { clusterStatePrefix, templateBucket } from '../provision/template-store.js';
import { createEtcdClusterBackup } from './backup-etcd.js';
import { stackUsesEtcd } from './restore-etcd.js';
import type { LifecycleOptions } from './types.js';

/** Options of {@link createClusterBackup} and {@link listClusterBackups}. */
export interface ClusterBackupOptions extends LifecycleOptions {
  readonly cluster: string;
  /** Root of local state (SSH key, known_hosts) to reach an etcd cluster's masters. @default ~/.tugboat */
  readonly stateRoot?: string;
  /** The backup's time (its name). @default now */
  readonly now?: Date;
}

/** Where a cluster's state and backups live: the account's tugboat bucket, under the cluster's prefix. */
export async function clusterStateTarget(aws: AwsClients, cluster: string): Promise<StateTarget> {
  return { ref: await templateBucket(aws), prefix: clusterStatePrefix(cluster) };
}

/**
 * Takes a backup of the state the cluster's master shipped to S3 (verified by a restore on this
 * machine, consistent at one revision; at most the shipping RPO behind the master). Refuses, with
 * the reason, a cluster that does not exist or whose master has shipped nothing.
 */
export async function createClusterBackup(options: ClusterBackupOptions): Promise<BackupInfo> {
  const cluster = checkClusterName(options.cluster);
  const target = await clusterStateTarget(options.aws, cluster);
  const stack = await options.aws.cloudFormation.describeStack(stackNameOf(cluster));
  if (stackUsesEtcd(stack)) {
    const info = await createEtcdClusterBackup(options, cluster, target);
    options.events?.emit({
      code: 'backup.created',
      level: 'info',
      message: `backup ${info.name} of ${cluster}'s etcd: ${info.keys} keys at revision ${info.revision}`,
      data: { ...info },
    });
    return info;
  }
  if (!(await findShippedState(options.aws.s3, target))) {
    if (!stack) throw notFound(options.aws, cluster);
    throw new DeploymentError(
      'NOTHING_SHIPPED',
      `cluster "${cluster}" has no store state in s3://${target.ref.bucket}/${target.prefix}/store/: its master does not ship its store (it was installed without --state-bucket, or has not started yet; an older stack whose settings do not say store: etcd: run \`tugboat update\` with its spec first); nothing to back up`,
    );
  }
  const info = await createBackup(options.aws.s3, target, options.now ?? new Date());
  options.events?.emit({
    code: 'backup.created',
    level: 'info',
    message: `backup ${info.name} of ${cluster}: ${info.keys} keys at revision ${info.revision}`,
    data: { ...info },
  });
  return info;
}

/**
 * The cluster's complete backups, oldest first. Backups outlive the cluster (`delete
 * --keep-backups`), so a deleted cluster with backups lists them; a name with neither a stack
 * nor backups is an error.
 */
export async function listClusterBackups(options: ClusterBackupOptions): Promise<BackupInfo[]> {
  const cluster = checkClusterName(options.cluster);
  const backups = await listBackups(options.aws.s3, await clusterStateTarget(options.aws, cluster));
  if (backups.length === 0 && !(await options.aws.cloudFormation.describeStack(stackNameOf(cluster))))
    throw notFound(options.aws, cluster);
  return backups;
}

function notFound(aws: AwsClients, cluster: string): DeploymentError {
  return new DeploymentError(
    'CLUSTER_NOT_FOUND',
    `cluster "${cluster}" not found in ${aws.region} and it has no backups: check the name and --region (\`tugboat list\` shows the clusters)`,
  );
}
