import { join } from 'node:path';
import type { StackInfo } from '../aws/cloudformation.js';
import type { EtcdSettings } from '../config/etcd.js';
import { DeploymentError } from '../errors.js';
import type { EventSink } from '../events.js';
import { clusterStateDir, stateRoot } from '../naming.js';
import { mergeKubeconfigFile } from '../pki/kubeconfig.js';
import { writeKeyFile } from '../pki/pem.js';
import type { ClusterInstances } from '../provision/cluster-instances.js';
import type { KeyPairResult } from '../provision/keypair.js';
import type { BackupSettings, PodNetworkSettings } from '../provision/template/settings.js';
import { clusterBucketName, clusterStatePrefix } from '../provision/template/storage-names.js';
import {
  type BootstrapInventoryOptions,
  type BootstrapInventoryResult,
  bootstrapInventory,
} from './bootstrap-inventory.js';
import { bootstrapHostsFromCluster } from './cluster-hosts.js';
import type { HostBundle, StateShippingSettings } from './control-plane-install.js';
import { etcdReleaseCacheDir } from './etcd-release-cache.js';
import type { HostRuntimeOptions } from './host-runtime.js';
import { runtimeCacheDir } from './runtime-cache.js';

/** What the bootstrap step of create, update and scale receives once the infrastructure is settled. */
export interface BootstrapContext {
  readonly cluster: string;
  readonly inventory: ClusterInstances;
  readonly keyPair: KeyPairResult;
  readonly stack: StackInfo;
  readonly events: EventSink;
  readonly signal?: AbortSignal;
}

/** What {@link bootstrapCluster} needs beyond what `createCluster` hands its bootstrap hook. */
export interface ClusterBootstrapOptions extends Omit<HostRuntimeOptions, 'events' | 'runtimeCache'> {
  /** The host bundle (`npm run build` writes it to dist/bundles/). */
  readonly bundle: HostBundle;
  /** Login user on the instances (spec `ssh.user`). */
  readonly user: string;
  /** Address to connect to (spec `ssh.address`). */
  readonly address: 'public' | 'private';
  /** Node labels per worker group name (spec `workerGroups[].labels`). @default {} */
  readonly groupLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Node taints per worker group, `key[=value]:Effect` (spec `workerGroups[].taints`). @default {} */
  readonly groupTaints?: Readonly<Record<string, readonly string[]>>;
  /** The pod range and node block prefix (spec `network`). @default 10.244.0.0/16 with /24 blocks */
  readonly podNetwork?: PodNetworkSettings;
  /** The master runs the node agent too (spec `master.schedulable`). @default only when there are no workers */
  readonly masterSchedulable?: boolean;
  /**
   * The spec's `backup`: the control plane ships its store to the cluster's S3 prefix (bucket and
   * region from the stack's ARN) and backs it up on the schedule. @default no shipping
   */
  readonly backup?: BackupSettings;
  /** The spec's `store`. @default 'etcd' with several masters, else 'embedded' */
  readonly store?: 'embedded' | 'etcd';
  /** The spec's `api.dns.recordName`: in the API certificate, and the kubeconfig's server. @default none */
  readonly apiDns?: string;
  /** The spec's `etcd` (store etcd): where the masters' etcd comes from. @default source auto, etcd's GitHub releases */
  readonly etcd?: EtcdSettings;
  /** Docker agents run the pod network and cluster DNS. @default true */
  readonly agentPodNetwork?: boolean;
  /** Agents run the iptables service proxy. @default true */
  readonly agentServiceProxy?: boolean;
  /** Root of local state. @default ~/.tugboat */
  readonly stateRoot?: string;
  /** Record host keys never seen before (`--trust-new-hosts`). @default false: only known_hosts */
  readonly trustNewHosts?: boolean;
  /** Kubeconfig to merge the cluster's context into. @default none: only `<state>/kubeconfig` */
  readonly mergeKubeconfigInto?: string;
  /** Hosts worked on at once after the master. @default 10 */
  readonly concurrency?: number;
  /** Leave alone a ready control plane and Ready nodes (see bootstrapInventory). @default false */
  readonly skipReady?: boolean;
  /** Upload and reinstall everything, even unchanged (`--force`). @default false */
  readonly force?: boolean;
  /** Install only these hosts (see bootstrapInventory's `only`). @default every host */
  readonly only?: readonly string[];
  /** Throw a DeploymentError when a host failed; false returns the outcomes instead. @default true */
  readonly failOnHostError?: boolean;
}

/** The bootstrap hook's context plus {@link ClusterBootstrapOptions}. */
export type ClusterBootstrapContext = BootstrapContext & ClusterBootstrapOptions;

/** What {@link bootstrapCluster} did. */
export interface ClusterBootstrapResult extends BootstrapInventoryResult {
  /** `<state>/<cluster>/kubeconfig` (0600). */
  readonly kubeconfigPath: string;
  /** The kubeconfig the context was merged into, when asked. */
  readonly mergedInto?: string;
}

/**
 * The SSH bootstrap of a cluster `createCluster` just made: the control plane on the master (on
 * every master, over an etcd member on each, when there are several), an
 * agent on every running worker (labelled with its group's labels), each host reached on the
 * spec's address with the cluster's key and its host key checked against the cluster's
 * known_hosts. Writes `<state>/<cluster>/kubeconfig` and, when asked, merges its context into a
 * kubeconfig. Throws a DeploymentError naming every failed host (the others are finished).
 */
export async function bootstrapCluster(context: ClusterBootstrapContext): Promise<ClusterBootstrapResult> {
  const stateDir = clusterStateDir(context.cluster, context.stateRoot);
  const result = await bootstrapInventory(clusterInventoryOptions(context));
  const kubeconfigPath = join(stateDir, 'kubeconfig');
  writeKeyFile(kubeconfigPath, result.kubeconfig);
  const failed = result.hosts.filter((h) => !h.ok);
  if (failed.length > 0 && context.failOnHostError !== false) {
    throw new DeploymentError(
      'BOOTSTRAP_FAILED',
      `bootstrap of cluster ${context.cluster} failed on ${failed.length} host(s):\n  ${failed
        .map((h) => `${h.host}: ${h.ok ? '' : h.error.message}`)
        .join(
          '\n  ',
        )}\nfix the cause, then run tugboat bootstrap ${context.cluster} (it finishes what is missing)`,
    );
  }
  const target = failed.length === 0 ? context.mergeKubeconfigInto : undefined;
  if (target) {
    mergeKubeconfigFile(target, result.kubeconfig);
  }
  return { ...result, kubeconfigPath, ...(target ? { mergedInto: target } : {}) };
}

/**
 * The bootstrapInventory options of a cluster's hosts: the instances reached on the spec's address
 * with the cluster's key, its state directory, runtime cache, network and state shipping. Shared by
 * bootstrap and `tugboat upgrade`, so both install the same thing.
 */
export function clusterInventoryOptions(context: ClusterBootstrapContext): BootstrapInventoryOptions {
  const inventory = bootstrapHostsFromCluster(context.inventory, {
    user: context.user,
    address: context.address,
    ...(context.keyPair.privateKeyPath ? { privateKeyFile: context.keyPair.privateKeyPath } : {}),
    ...(context.groupLabels ? { groupLabels: context.groupLabels } : {}),
    ...(context.groupTaints ? { groupTaints: context.groupTaints } : {}),
  });
  return {
    inventory,
    stateDir: clusterStateDir(context.cluster, context.stateRoot),
    bundle: context.bundle,
    ...(context.nodeRuntime ? { nodeRuntime: context.nodeRuntime } : {}),
    ...(context.loadRuntime ? { loadRuntime: context.loadRuntime } : {}),
    runtimeCache: runtimeCacheDir(context.stateRoot ?? stateRoot()),
    ...(context.podNetwork ? { podNetwork: context.podNetwork } : {}),
    ...(context.agentPodNetwork !== undefined ? { agentPodNetwork: context.agentPodNetwork } : {}),
    ...(context.masterSchedulable !== undefined ? { masterSchedulable: context.masterSchedulable } : {}),
    ...(context.backup
      ? { stateShipping: stateShippingOf(context.stack, context.cluster, context.backup) }
      : {}),
    ...(context.agentServiceProxy !== undefined ? { agentServiceProxy: context.agentServiceProxy } : {}),
    ...(context.store ? { store: context.store } : {}),
    ...(context.apiDns ? { apiDns: context.apiDns } : {}),
    ...(context.etcd ? { etcdSource: context.etcd.source } : {}),
    ...(context.etcd?.mirror ? { etcdMirror: context.etcd.mirror } : {}),
    etcdReleaseCache: etcdReleaseCacheDir(context.stateRoot ?? stateRoot()),
    trustNewHosts: context.trustNewHosts ?? false,
    events: context.events,
    ...(context.concurrency ? { concurrency: context.concurrency } : {}),
    skipReady: context.skipReady ?? false,
    force: context.force ?? false,
    ...(context.only ? { only: context.only } : {}),
    ...(context.signal ? { signal: context.signal } : {}),
  };
}

/**
 * Where the master of the stack ships: the account's tugboat bucket of the stack's region (both
 * read from the stack ARN, `arn:<partition>:cloudformation:<region>:<account>:stack/...`).
 */
export function stateShippingOf(
  stack: StackInfo,
  cluster: string,
  backup: BackupSettings,
): StateShippingSettings {
  const [, , , region, account] = stack.id.split(':');
  if (!region || !account)
    throw new DeploymentError(
      'STACK_ID_UNEXPECTED',
      `stack ${stack.name} has the id "${stack.id}", not an ARN naming region and account: cannot tell its state bucket`,
    );
  return { bucket: clusterBucketName(account, region), prefix: clusterStatePrefix(cluster), region, backup };
}
