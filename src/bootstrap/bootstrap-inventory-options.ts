import type { PodNetworkSettings } from '../provision/template/settings.js';
import type { BootstrapHost } from './bootstrap-hosts.js';
import type { HostBundle, StateShippingSettings } from './control-plane-install.js';
import type { EtcdReleaseLoaderOptions } from './etcd-binary.js';
import type { EtcdSource } from './etcd-release.js';
import type { HostBootstrapResult } from './host-bootstrap-result.js';
import type { HostRuntimeOptions } from './host-runtime.js';
import type { InventoryAccessOptions } from './inventory-access.js';
import type { HostOutcome } from './run-hosts.js';

/** Options for `bootstrapInventory` (bootstrap-inventory.ts). */
export interface BootstrapInventoryOptions
  extends InventoryAccessOptions,
    HostRuntimeOptions,
    EtcdReleaseLoaderOptions {
  readonly bundle: HostBundle;
  /** The pod range: the control plane gives each node a block of it. @default 10.244.0.0/16 with /24 blocks */
  readonly podNetwork?: PodNetworkSettings;
  /**
   * Docker agents run the pod network (sandbox per pod, bridge, VXLAN, cluster DNS) in
   * `podNetwork`. The sandbox image is built on each host, so no registry is needed. @default true
   */
  readonly agentPodNetwork?: boolean;
  /** Agents program Services into their host's kernel (the iptables service proxy). @default true */
  readonly agentServiceProxy?: boolean;
  /**
   * Run the node agent on the master too (no taint: pods are scheduled there). @default true when
   * the inventory has no workers (a single-node cluster), else false
   */
  readonly masterSchedulable?: boolean;
  /** The control plane ships its store to S3 (and takes scheduled backups). @default off */
  readonly stateShipping?: StateShippingSettings;
  /** @default 6443 */
  readonly apiPort?: number;
  /** Address the API server binds, or one per master. @default `0.0.0.0:<apiPort>` */
  readonly apiListen?: string | ((master: BootstrapHost) => string);
  /**
   * Where the objects live: `etcd` runs a member on every master (see masters-etcd.ts) and the
   * API servers on it. @default 'etcd' with several masters (required), else 'embedded'
   */
  readonly store?: 'embedded' | 'etcd';
  /** Where the distribution's package puts etcd on the masters. @default DEFAULT_ETCD_PATH */
  readonly etcdPath?: string;
  /** Where the masters' etcd comes from (see ensureEtcdBinary). @default 'auto' */
  readonly etcdSource?: EtcdSource;
  /** The spec's `api.dns` name: in the API certificate, and the kubeconfig's server. @default none */
  readonly apiDns?: string;
  /** Address each agent's logs/exec server binds. @default () => '0.0.0.0:10250' */
  readonly agentListen?: (host: BootstrapHost) => string;
  /** Per-host limit for the control plane's /readyz and each Node's Ready. @default 180000 */
  readonly readyTimeoutMs?: number;
  /**
   * Leave alone what already works: the master when the control plane answers /readyz, and every
   * worker whose Node is Ready (`tugboat bootstrap NAME` on a running cluster). @default false
   */
  readonly skipReady?: boolean;
  /**
   * Install Docker on docker-runtime workers (and Node.js, with `nodeRuntime: 'host'`) where
   * preflight finds it missing, with the host's package manager. When false, a missing prerequisite fails the host. @default true
   */
  readonly installPackages?: boolean;
  /**
   * Reinstall on every host even when it already has the same bundle and configuration: upload
   * every file again, rewrite the services and restart them (`--force`). @default false
   */
  readonly force?: boolean;
  /**
   * Install only these hosts (by name); the others are left alone as if Ready, while etcd
   * members, certificates and servers still come from the whole inventory (`tugboat upgrade`
   * reinstalls one master at a time this way). @default every host
   */
  readonly only?: readonly string[];
}

/** What `bootstrapInventory` (bootstrap-inventory.ts) did. */
export interface BootstrapInventoryResult {
  /** `https://<first master>:<port>` */
  readonly server: string;
  /** Every master's API URL, the first one first (agents fail over along them). */
  readonly servers: readonly string[];
  /** One outcome per host, master first; failed hosts carry their error. */
  readonly hosts: readonly HostOutcome<HostBootstrapResult>[];
  /** Admin kubeconfig text (holds a private key: write it 0600). */
  readonly kubeconfig: string;
}
