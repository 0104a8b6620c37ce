import type { StackInfo } from '../aws/cloudformation.js';
import { bootstrapHostsFromCluster } from '../bootstrap/cluster-hosts.js';
import { inventoryApi } from '../bootstrap/inventory-api.js';
import { KubeClient } from '../client/client.js';
import type { EventSink } from '../events.js';
import { clusterStateDir } from '../naming.js';
import { type ClusterInstances, findGroups } from '../provision/cluster-instances.js';
import type { KeyPairResult } from '../provision/keypair.js';
import type { ClusterSettings } from '../provision/template/index.js';
import { kubeNodeReplacementOps } from './node-replacement-ops.js';
import { type ReplacedInstance, replaceOutdatedInstances } from './replace-instances.js';
import { stackSettings } from './stack-settings.js';
import type { LifecycleOptions } from './types.js';

/** Options of {@link replaceAfterUpdate}. */
export interface ReplaceAfterUpdateOptions extends LifecycleOptions {
  readonly cluster: string;
  readonly stack: StackInfo;
  /** The inventory settle left (bootstrapped). */
  readonly inventory: ClusterInstances;
  readonly keyPair: KeyPairResult;
  readonly settings?: ClusterSettings;
  readonly stateRoot?: string;
  readonly events: EventSink;
  /** Settles again after each surge (instances InService, EIPs, bootstrap of the new one). */
  readonly settle: () => Promise<unknown>;
}

/**
 * After `update` applied a stack change: replaces the workers whose instance type, AMI or volume size
 * is no longer what their launch template says (see replaceOutdatedInstances), talking to the cluster
 * with the admin credentials in local state, on the masters' addresses as bootstrap does.
 */
export async function replaceAfterUpdate(options: ReplaceAfterUpdateOptions): Promise<ReplacedInstance[]> {
  const { aws, cluster } = options;
  const groups = await findGroups(aws.autoScaling, cluster);
  const settings = options.settings ?? stackSettings(options.stack);
  const hosts = bootstrapHostsFromCluster(options.inventory, {
    user: settings.sshUser,
    address: settings.sshAddress,
    ...(options.keyPair.privateKeyPath ? { privateKeyFile: options.keyPair.privateKeyPath } : {}),
  });
  const { server, pki } = inventoryApi({
    inventory: hosts,
    stateDir: clusterStateDir(cluster, options.stateRoot),
    ...(settings.apiDns ? { apiDns: settings.apiDns } : {}),
  });
  const client = new KubeClient({
    server,
    ca: pki.ca.certPem,
    cert: pki.admin.certPem,
    key: pki.admin.keyPem,
  });
  return replaceOutdatedInstances({
    ec2: aws.ec2,
    autoScaling: aws.autoScaling,
    cluster,
    groups,
    settle: options.settle,
    nodes: kubeNodeReplacementOps(client, {
      events: options.events,
      ...(options.signal ? { signal: options.signal } : {}),
    }),
    events: options.events,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
