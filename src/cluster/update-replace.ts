import type { StackInfo } from '../aws/cloudformation.js';
import { bootstrapHostsFromCluster } from '../bootstrap/cluster-hosts.js';
import { inventoryApi } from '../bootstrap/inventory-api.js';
import { KubeClient } from '../client/client.js';
import type { EventSink } from '../events.js';
import { clusterStateDir } from '../naming.js';
import { type ClusterInstances, findGroups } from '../provision/cluster-instances.js';
import type { KeyPairResult } from '../provision/keypair.js';
import type { ClusterSettings } from '../provision/template/index.js';
import { clusterMasterOps } from './master-replacement-ops.js';
import { kubeNodeReplacementOps } from './node-replacement-ops.js';
import { type ReplacedInstance, replaceOutdatedInstances } from './replace-instances.js';
import { replaceOutdatedMasters } from './replace-masters.js';
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
  /** Settles without the SSH install (instances InService, EIPs): after a master's replacement. */
  readonly settleAddresses: () => Promise<ClusterInstances>;
  /** After each master's replacement: the workers' agents brought to the current masters. */
  readonly repointWorkers?: () => Promise<unknown>;
  /** Record host keys never seen before (replacement masters', for the etcd check). @default false */
  readonly trustNewHosts?: boolean;
}

/**
 * After `update` applied a stack change: replaces the masters (see replaceOutdatedMasters), then the
 * workers (see replaceOutdatedInstances) whose instance type, AMI or volume size is no longer what
 * their launch template says, talking to the cluster with the admin credentials in local state, on
 * the masters' addresses as bootstrap does (read again after the masters, which moved).
 */
export async function replaceAfterUpdate(options: ReplaceAfterUpdateOptions): Promise<ReplacedInstance[]> {
  const { aws, cluster } = options;
  const settings = options.settings ?? stackSettings(options.stack);
  const masters = await replaceOutdatedMasters({
    ec2: aws.ec2,
    autoScaling: aws.autoScaling,
    groups: await findGroups(aws.autoScaling, cluster),
    settle: options.settleAddresses,
    ...(options.repointWorkers ? { afterReplaced: options.repointWorkers } : {}),
    ops: clusterMasterOps({
      ...options,
      settings,
      ...(options.trustNewHosts !== undefined ? { trustNewHosts: options.trustNewHosts } : {}),
    }),
    events: options.events,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const inventory = masters.length > 0 ? await options.settleAddresses() : options.inventory;
  const groups = await findGroups(aws.autoScaling, cluster);
  const hosts = bootstrapHostsFromCluster(inventory, {
    user: settings.sshUser,
    address: settings.sshAddress,
    ...(options.keyPair.privateKeyPath ? { privateKeyFile: options.keyPair.privateKeyPath } : {}),
  });
  const { server, servers, pki } = inventoryApi({
    inventory: hosts,
    stateDir: clusterStateDir(cluster, options.stateRoot),
    ...(settings.apiDns ? { apiDns: settings.apiDns } : {}),
  });
  const client = new KubeClient({
    server,
    failoverServers: servers.slice(1),
    ca: pki.ca.certPem,
    cert: pki.admin.certPem,
    key: pki.admin.keyPem,
  });
  try {
    const workers = await replaceOutdatedInstances({
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
    return [...masters, ...workers];
  } finally {
    client.close();
  }
}
