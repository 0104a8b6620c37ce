import { onHost } from '../bootstrap/inventory-access.js';
import { DEFAULT_HOST_LAYOUT } from '../bootstrap/layout.js';
import { waitForHealthy } from '../bootstrap/wait-healthy.js';
import {
  type AppliedBackupRestore,
  applyBackupRestore,
  type BackupRestorePlan,
  listBackups,
  prepareBackupRestore,
} from '../control-plane/store/shipping/index.js';
import { DeploymentError, UsageError } from '../errors.js';
import { checkClusterName, stackNameOf } from '../naming.js';
import { readClusterAccess } from './access.js';
import { clusterStateTarget } from './backup.js';
import { etcdRestorePlan, hostAccess, restoreEtcdCluster, stackUsesEtcd } from './restore-etcd.js';
import { readCa, restoreOnMaster } from './restore-master.js';
import type { LifecycleOptions } from './types.js';

/** Options of {@link restoreCluster}. */
export interface RestoreClusterOptions extends LifecycleOptions {
  readonly cluster: string;
  /** `BACKUP` of this cluster, or `CLUSTER/BACKUP` of another (a name from `backup list`). */
  readonly from: string;
  /** Only plan: compare the backup with the cluster's state and write nothing. @default false */
  readonly dryRun?: boolean;
  /** Shown the plan; returns whether to go ahead. @default go ahead */
  readonly confirm?: (plan: BackupRestorePlan) => Promise<boolean>;
  /** Root of local state (SSH key, CA, known_hosts). @default ~/.tugboat */
  readonly stateRoot?: string;
  /** Limit on the wait for the restarted API. @default 180_000 */
  readonly readyTimeoutMs?: number;
}

/** What {@link restoreCluster} did. */
export interface RestoreClusterResult {
  readonly cluster: string;
  readonly plan: BackupRestorePlan;
  readonly dryRun: boolean;
  readonly declined: boolean;
  /** Set once written: the generation and revision, and the master restarted (absent without one). */
  readonly applied?: AppliedBackupRestore & {
    readonly host?: string;
    readonly setAside?: string;
    /** On an etcd cluster: what `store restore-etcd` said on the master it ran on. */
    readonly etcd?: string;
  };
}

const BACKUP = /^(?:([a-z][a-z0-9-]*)\/)?(\d{8}T\d{6}Z)$/;

/**
 * Restores a backup (of this cluster or, as `CLUSTER/BACKUP`, of another one, e.g. one deleted
 * with `--keep-backups`) into the cluster: plans (what the backup adds, removes and reverts
 * against the shipped state), asks, then — when the cluster has a running master — stops its
 * control plane over SSH, writes the backup as the newest store generation, sets the old data
 * directory aside and starts it again, waiting for /readyz; without a stack it only writes the
 * generation, which the cluster's next master restores as it starts.
 */
export async function restoreCluster(options: RestoreClusterOptions): Promise<RestoreClusterResult> {
  const cluster = checkClusterName(options.cluster);
  const { aws } = options;
  const m = BACKUP.exec(options.from);
  if (!m)
    throw new UsageError(
      `--from "${options.from}" is not a backup: use a name from \`tugboat backup list ${cluster}\` (e.g. 20261202T165403Z), or OTHER-CLUSTER/NAME`,
    );
  const sourceCluster = checkClusterName(m[1] ?? cluster);
  const name = m[2]!;
  const source = await clusterStateTarget(aws, sourceCluster);
  const target = await clusterStateTarget(aws, cluster);
  const backups = await listBackups(aws.s3, source);
  const names = backups.map((b) => b.name);
  const backup = backups.find((b) => b.name === name);
  if (!backup)
    throw new DeploymentError(
      'BACKUP_NOT_FOUND',
      `no complete backup ${name} of ${sourceCluster} in s3://${source.ref.bucket}/${source.prefix}/backups/: ${names.length ? `the backups are ${names.join(', ')}` : 'it has none'}`,
    );
  const stack = await aws.cloudFormation.describeStack(stackNameOf(cluster));
  // etcd: nothing is shipped; the backup's keys replace etcd's over SSH on the masters.
  if (stackUsesEtcd(stack))
    return restoreEtcdCluster(options, cluster, source, etcdRestorePlan(backup, source));
  const prepared = await prepareBackupRestore(aws.s3, source, target, name);
  const { plan } = prepared;
  const result = { cluster, plan, dryRun: options.dryRun ?? false, declined: false };
  if (options.dryRun) return result;
  const access = stack ? await readClusterAccess({ ...options, cluster }) : undefined;
  if (options.confirm && !(await options.confirm(plan))) return { ...result, declined: true };
  const holder = `tugboat restore ${sourceCluster}/${name}`;
  if (!access) {
    const applied = await applyBackupRestore(aws.s3, target, prepared, holder);
    return { ...result, applied };
  }
  const master = access.hosts.master;
  const server = `https://${master.address.includes(':') ? `[${master.address}]` : master.address}:6443`;
  const caPem = readCa(access.stateDir, cluster);
  const applied = await onHost(master, hostAccess(access, options), (shell) =>
    restoreOnMaster(shell, {
      s3: aws.s3,
      target,
      prepared,
      holder,
      layout: DEFAULT_HOST_LAYOUT,
      ...(options.events ? { events: options.events } : {}),
      waitReady: () =>
        waitForHealthy(`${server}/readyz`, {
          caPem,
          timeoutMs: options.readyTimeoutMs ?? 180_000,
          ...(options.signal ? { signal: options.signal } : {}),
        }),
    }),
  );
  return { ...result, applied };
}
