import type { StackInfo } from '../aws/cloudformation.js';
import { mastersOf } from '../bootstrap/bootstrap-hosts.js';
import { onHost } from '../bootstrap/inventory-access.js';
import { DEFAULT_HOST_LAYOUT } from '../bootstrap/layout.js';
import { waitForHealthy } from '../bootstrap/wait-healthy.js';
import type { BackupInfo, BackupRestorePlan, StateTarget } from '../control-plane/store/shipping/index.js';
import { DeploymentError } from '../errors.js';
import { OUTPUTS, parseClusterSettings } from '../provision/template/index.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { type ClusterAccess, readClusterAccess } from './access.js';
import type { RestoreClusterOptions, RestoreClusterResult } from './restore.js';
import { type MasterHost, restoreEtcdOnMasters } from './restore-etcd-masters.js';
import { readCa } from './restore-master.js';

/** Whether the stack's cluster keeps its objects in etcd (its settings say `store: etcd`). */
export function stackUsesEtcd(stack: StackInfo | undefined): boolean {
  return stack ? parseClusterSettings(stack.outputs[OUTPUTS.bootstrapSettings])?.store === 'etcd' : false;
}

/** The plan `restore` shows for an etcd cluster: the backup, and that every key is replaced (changes are not listed). */
export function etcdRestorePlan(backup: BackupInfo, source: StateTarget): BackupRestorePlan {
  const none = { count: 0, keys: [] };
  return {
    backup,
    from: `s3://${source.ref.bucket}/${source.prefix}`,
    store: 'etcd',
    revision: 0,
    added: none,
    removed: none,
    changed: none,
  };
}

/** How the restore reaches the cluster's hosts over SSH. */
export function hostAccess(
  access: ClusterAccess,
  options: Pick<RestoreClusterOptions, 'events' | 'signal'>,
): Parameters<typeof onHost>[1] {
  return {
    inventory: access.hosts,
    stateDir: access.stateDir,
    ...(options.events ? { events: options.events } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/** Opens a session to every host, runs `fn` with them all, closes them. */
async function onHosts<T>(
  hosts: readonly Parameters<typeof onHost>[0][],
  options: Parameters<typeof onHost>[1],
  fn: (shells: RemoteShell[]) => Promise<T>,
  opened: RemoteShell[] = [],
): Promise<T> {
  const [next, ...rest] = hosts;
  if (!next) return fn(opened);
  return onHost(next, options, (shell) => onHosts(rest, options, fn, [...opened, shell]));
}

/**
 * `tugboat restore` into a running cluster on etcd: asks (the plan names the backup; what changes
 * is not listed), then over SSH stops every master's control plane, writes the backup into etcd
 * from the first master and starts them, waiting until each API answers /readyz.
 */
export async function restoreEtcdCluster(
  options: RestoreClusterOptions,
  cluster: string,
  source: StateTarget,
  plan: BackupRestorePlan,
): Promise<RestoreClusterResult> {
  const result = { cluster, plan, dryRun: options.dryRun ?? false, declined: false };
  if (options.dryRun) return result;
  if (options.confirm && !(await options.confirm(plan))) return { ...result, declined: true };
  const access = await readClusterAccess({ ...options, cluster });
  const masters = mastersOf(access.hosts);
  const caPem = readCa(access.stateDir, cluster);
  const done = await onHosts(masters, hostAccess(access, options), (shells) =>
    restoreEtcdOnMasters(
      shells.map((shell): MasterHost => ({ shell, layout: DEFAULT_HOST_LAYOUT })),
      {
        source,
        name: plan.backup.name,
        region: options.aws.region,
        ...(options.events ? { events: options.events } : {}),
        waitReady: async () => {
          for (const m of masters) {
            const host = m.address.includes(':') ? `[${m.address}]` : m.address;
            await waitForHealthy(`https://${host}:6443/readyz`, {
              caPem,
              timeoutMs: options.readyTimeoutMs ?? 180_000,
              ...(options.signal ? { signal: options.signal } : {}),
            });
          }
        },
      },
    ),
  );
  if (!done)
    throw new DeploymentError(
      'RESTORE_FAILED',
      `restore of ${plan.backup.name} into ${cluster} did not finish`,
    );
  return {
    ...result,
    applied: { generation: 0, revision: 0, keys: plan.backup.keys, host: done.host, etcd: done.output },
  };
}
