import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mastersOf } from '../bootstrap/bootstrap-hosts.js';
import { onHost } from '../bootstrap/inventory-access.js';
import { DEFAULT_HOST_LAYOUT } from '../bootstrap/layout.js';
import type { ServiceMode } from '../bootstrap/service.js';
import type { BackupInfo, StateTarget } from '../control-plane/store/shipping/index.js';
import { DeploymentError } from '../errors.js';
import { runChecked } from '../ssh/remote-shell.js';
import { readClusterAccess } from './access.js';
import type { ClusterBackupOptions } from './backup.js';
import { hostAccess } from './restore-etcd.js';
import { etcdToolCommand, type MasterHost, readEtcdMaster } from './restore-etcd-masters.js';

/**
 * Takes a backup of etcd now on this master: runs its control plane's program as `store
 * backup-etcd` with its etcd flags (etcd's client port is open to the masters only), which reads
 * every key at one revision and uploads it to `target` (refused with the quorum report when etcd
 * cannot serve). Returns the backup as the command printed it (its creation time to the second).
 */
export async function backupEtcdOnMaster(
  host: MasterHost,
  target: StateTarget,
  options: {
    readonly mode?: ServiceMode;
    /** The bucket's region, where the control plane's environment has none. @default the service's */
    readonly region?: string;
  } = {},
): Promise<BackupInfo> {
  const master = await readEtcdMaster(host, options);
  const args = ['store', 'backup-etcd', '--state-bucket', target.ref.bucket, '--state-prefix', target.prefix];
  const res = await runChecked(host.shell, etcdToolCommand(master, args, options.region), {
    step: 'back up etcd',
  });
  // The host bundle prints text (it has no --output): `backup NAME: N keys at revision R`.
  const m = /^backup (\d{8}T\d{6}Z): (\d+) keys at revision (\d+)$/m.exec(res.stdout);
  if (!m)
    throw new DeploymentError(
      'ETCD_BACKUP_FAILED',
      `${host.shell.host}: unexpected answer: ${res.stdout.trim()}`,
    );
  const name = m[1]!;
  const createdAt = `${name.slice(0, 4)}-${name.slice(4, 6)}-${name.slice(6, 8)}T${name.slice(9, 11)}:${name.slice(11, 13)}:${name.slice(13, 15)}.000Z`;
  return { name, createdAt, revision: Number(m[3]), keys: Number(m[2]), generation: 0, store: 'etcd' };
}

/**
 * Why this machine cannot reach the masters to take a backup of etcd, or undefined when it can
 * try: an SSH key (the cluster's `id_ed25519`, else an ssh-agent) and the masters' host keys
 * (`known_hosts`) in the cluster's local state. A cluster deployed without `tugboat create` here
 * (`tugboat template` and the AWS CLI, the "no client" path) has neither: its masters back
 * themselves up on the spec's `backup.schedule`, which needs no SSH.
 */
export function etcdBackupAccessProblem(
  cluster: string,
  stateDir: string,
  keyPair: { readonly privateKeyPath?: string },
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const missing = [
    ...(keyPair.privateKeyPath || env.SSH_AUTH_SOCK
      ? []
      : [`no SSH key (${join(stateDir, 'id_ed25519')}) and no ssh-agent`]),
    ...(existsSync(join(stateDir, 'known_hosts'))
      ? []
      : [`no known host keys (${join(stateDir, 'known_hosts')})`]),
  ];
  if (missing.length === 0) return undefined;
  return `cluster "${cluster}" keeps its store in etcd, whose backup is taken on a master over SSH, and this machine has ${missing.join(' and ')} for it (a cluster deployed from \`tugboat template\` with the AWS CLI has no local state): set backup.schedule in its spec so the masters take backups themselves (\`tugboat backup list ${cluster}\` shows them), or run this where the cluster was created`;
}

/**
 * `tugboat backup create` on a cluster whose store is etcd: asks each running master in turn
 * (over SSH) to take the backup; the first that can wins. When none can (no quorum, no master
 * reachable), the error names each master's reason.
 */
export async function createEtcdClusterBackup(
  options: ClusterBackupOptions,
  cluster: string,
  target: StateTarget,
): Promise<BackupInfo> {
  const access = await readClusterAccess({ ...options, cluster });
  const problem = etcdBackupAccessProblem(cluster, access.stateDir, access.keyPair);
  if (problem) throw new DeploymentError('ETCD_BACKUP_NO_ACCESS', problem);
  const reasons: string[] = [];
  for (const m of mastersOf(access.hosts)) {
    try {
      return await onHost(m, hostAccess(access, options), (shell) =>
        backupEtcdOnMaster({ shell, layout: DEFAULT_HOST_LAYOUT }, target, { region: options.aws.region }),
      );
    } catch (err) {
      reasons.push(`${m.name}: ${(err as Error).message}`);
    }
  }
  throw new DeploymentError(
    'ETCD_BACKUP_FAILED',
    `no master of ${cluster} could take a backup of etcd (${reasons.join('; ')}); if etcd lost quorum, see docs/ha-masters.md#lost-quorum`,
  );
}
