import { DeploymentError } from '../errors.js';
import type { ClusterInstances, Host } from '../provision/cluster-instances.js';
import type { BootstrapHost, BootstrapHosts } from './bootstrap-hosts.js';

/** Options for {@link bootstrapHostsFromCluster}. */
export interface ClusterHostsOptions {
  /** Login user on the instances (spec `ssh.user`). */
  readonly user: string;
  /** Which address to connect to (spec `ssh.address`): EIP or public IP from a laptop, private from inside the VPC. */
  readonly address: 'public' | 'private';
  /** The cluster's SSH private key (`~/.tugboat/<cluster>/id_ed25519` when tugboat made it). @default ssh-agent */
  readonly privateKeyFile?: string;
  /** @default 'docker' */
  readonly runtime?: 'docker' | 'process';
  /** Node labels per worker group (spec `workerGroups[].labels`). @default {} */
  readonly groupLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Node taints per worker group, `key[=value]:Effect` (spec `workerGroups[].taints`). @default {} */
  readonly groupTaints?: Readonly<Record<string, readonly string[]>>;
}

const usable = (h: Host) => h.state === 'running' && !/^Terminat|^Detach/.test(h.lifecycleState);

function addressOf(h: Host, which: 'public' | 'private'): string {
  const address = which === 'public' ? (h.eip?.publicIp ?? h.publicIp) : h.privateIp;
  if (!address) {
    throw new DeploymentError(
      'HOST_UNREACHABLE',
      which === 'public'
        ? `instance ${h.id} has no public address: give its group public IPs or EIPs, or set ssh.address: private and run tugboat inside the VPC`
        : `instance ${h.id} has no private address yet: wait until it is running and retry`,
    );
  }
  return address;
}

/**
 * One master per master group (the InService one while a replacement is on its way), groups in
 * name order with numbers compared as numbers (`master-1` … `master-5`), so every run lists the
 * masters, and so the etcd members, in the same order. Pure.
 */
function mastersInOrder(masters: readonly Host[]): Host[] {
  const byGroup = new Map<string, Host>();
  for (const h of masters) {
    const seen = byGroup.get(h.group);
    if (!seen || (seen.lifecycleState !== 'InService' && h.lifecycleState === 'InService'))
      byGroup.set(h.group, h);
  }
  return [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([, h]) => h);
}

/**
 * Turns the instances the stack's auto-scaling groups report into the host list bootstrap works on:
 * every running master (one per master group, in group order: see mastersInOrder) and every
 * running worker, named by instance id (the agent's node name on EC2), reached on the address the
 * spec chose; each worker carries its group and the group's labels, each master its private address. Pure.
 */
export function bootstrapHostsFromCluster(
  inventory: ClusterInstances,
  options: ClusterHostsOptions,
): BootstrapHosts {
  const running = inventory.hosts.filter(usable);
  const masters = mastersInOrder(running.filter((h) => h.role === 'master'));
  const master = masters[0];
  if (!master) {
    throw new DeploymentError(
      'NO_MASTER',
      `cluster ${inventory.cluster} has no running master instance: run tugboat status ${inventory.cluster}, then retry`,
    );
  }
  const entry = (h: Host): BootstrapHost => ({
    name: h.id,
    address: addressOf(h, options.address),
    port: 22,
    user: options.user,
    role: h.role,
    ...(h.role === 'worker' ? { group: h.group, labels: options.groupLabels?.[h.group] ?? {} } : {}),
    ...(h.role === 'worker' && options.groupTaints?.[h.group]?.length
      ? { taints: options.groupTaints[h.group] }
      : {}),
    // Masters dial each other (etcd) on their private addresses, whatever bootstrap connects to.
    ...(h.role === 'master' && options.address === 'public' && h.privateIp
      ? { privateAddress: h.privateIp }
      : {}),
  });
  return {
    cluster: inventory.cluster,
    runtime: options.runtime ?? 'docker',
    ...(options.privateKeyFile ? { privateKeyFile: options.privateKeyFile } : {}),
    master: entry(master),
    ...(masters.length > 1 ? { masters: masters.map(entry) } : {}),
    workers: running.filter((h) => h.role === 'worker').map(entry),
  };
}
