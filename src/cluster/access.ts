import type { StackInfo } from '../aws/cloudformation.js';
import { type BootstrapHost, type BootstrapHosts, mastersOf } from '../bootstrap/bootstrap-hosts.js';
import { bootstrapHostsFromCluster } from '../bootstrap/cluster-hosts.js';
import { UsageError } from '../errors.js';
import { checkClusterName, clusterStateDir, stackNameOf } from '../naming.js';
import { type ClusterInstances, listClusterInstances } from '../provision/cluster-instances.js';
import type { KeyPairResult } from '../provision/keypair.js';
import type { ClusterSettings } from '../provision/template/index.js';
import { localKeyPair } from './settle.js';
import { noStackError, stackSettings } from './stack-settings.js';
import type { LifecycleOptions } from './types.js';

/** Options of {@link readClusterAccess}. */
export interface ClusterAccessOptions extends LifecycleOptions {
  readonly cluster: string;
  /** Settings from a spec file (`-f`). @default the stack's BootstrapSettings output */
  readonly settings?: ClusterSettings;
  /** Root of local state (SSH key, CA, known_hosts). @default ~/.tugboat */
  readonly stateRoot?: string;
}

/** Everything needed to reach a running cluster's hosts. */
export interface ClusterAccess {
  readonly cluster: string;
  readonly stack: StackInfo;
  readonly settings: ClusterSettings;
  /** Groups and instances as the auto-scaling groups report them. */
  readonly inventory: ClusterInstances;
  /** The running master and workers, on the address the settings choose. */
  readonly hosts: BootstrapHosts;
  readonly keyPair: KeyPairResult;
  /** `<state>/<cluster>`: CA, certificates, known_hosts, kubeconfig. */
  readonly stateDir: string;
}

/**
 * Finds a running cluster's hosts by name, without its spec file: the stack's BootstrapSettings
 * output says the SSH user and address and the groups' labels (a spec file given as `settings`
 * wins), the auto-scaling groups say which instances run, local state holds key and known_hosts.
 */
export async function readClusterAccess(options: ClusterAccessOptions): Promise<ClusterAccess> {
  const cluster = checkClusterName(options.cluster);
  const { aws } = options;
  const stackName = stackNameOf(cluster);
  const stack = await aws.cloudFormation.describeStack(stackName);
  if (!stack) throw noStackError(cluster, stackName);
  const settings = options.settings ?? stackSettings(stack);
  const inventory = await listClusterInstances({ ec2: aws.ec2, autoScaling: aws.autoScaling, cluster });
  const keyPair = localKeyPair(cluster, options.stateRoot);
  const hosts = bootstrapHostsFromCluster(inventory, {
    user: settings.sshUser,
    address: settings.sshAddress,
    groupLabels: settings.groupLabels,
    ...(settings.groupTaints ? { groupTaints: settings.groupTaints } : {}),
    ...(keyPair.privateKeyPath ? { privateKeyFile: keyPair.privateKeyPath } : {}),
  });
  return {
    cluster,
    stack,
    settings,
    inventory,
    hosts,
    keyPair,
    stateDir: clusterStateDir(cluster, options.stateRoot),
  };
}

/**
 * The host `tugboat ssh` goes to: the master (`which` = 'master') or the running instance with
 * that id. An unknown id is a UsageError that lists the valid ones.
 */
export function selectClusterHost(hosts: BootstrapHosts, which: string): BootstrapHost {
  if (which === 'master') return hosts.master;
  const all = [...mastersOf(hosts), ...hosts.workers];
  const found = all.find((h) => h.name === which);
  if (found) return found;
  const valid = all.map((h) => `${h.name} (${h.role}${h.group ? ` ${h.group}` : ''})`).join(', ');
  throw new UsageError(
    `instance "${which}" is not a running instance of cluster ${hosts.cluster}: pick one of ${valid}, or --master`,
  );
}
