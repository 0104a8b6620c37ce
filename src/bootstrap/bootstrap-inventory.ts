import { join } from 'node:path';
import { silentEvents } from '../events.js';
import {
  loadOrCreateAgentServingCertificate,
  loadOrCreateClusterPki,
  loadOrCreateNodeCertificate,
} from '../pki/cluster-pki.js';
import { renderKubeconfig } from '../pki/kubeconfig.js';
import type { PodNetworkSettings } from '../provision/template/settings.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { AGENT_SERVICE, type AgentInstallOptions, buildAgentFiles, installAgent } from './agent-install.js';
import type { BootstrapHost } from './bootstrap-hosts.js';
import { type ClusterHealth, readClusterHealth } from './cluster-health.js';
import {
  CONTROL_PLANE_SERVICE,
  type HostBundle,
  installControlPlane,
  type StateShippingSettings,
} from './control-plane-install.js';
import { ETCD_SERVICE } from './etcd-install.js';
import { syncHostFiles } from './host-files.js';
import type { HostInstallResult } from './host-install.js';
import { ensureHostPrerequisites } from './host-prerequisites.js';
import { type HostRuntimeOptions, hostRuntimeInstaller } from './host-runtime.js';
import { type InventoryAccessOptions, onHost } from './inventory-access.js';
import { DEFAULT_HOST_LAYOUT } from './layout.js';
import { type HostOutcome, runMasterWithWorkers, runOnHosts } from './run-hosts.js';
import { timedStep } from './timed-step.js';
import { type UninstallResult, uninstallHost } from './uninstall.js';
import { waitForDocker } from './wait-docker.js';
import { waitForHealthy } from './wait-healthy.js';
import { waitForNodeReady } from './wait-node-ready.js';

/** Options for {@link bootstrapInventory}. */
const defaultPodNetwork: PodNetworkSettings = { podCidr: '10.244.0.0/16', nodePodCidrPrefix: 24 };

export interface BootstrapInventoryOptions extends InventoryAccessOptions, HostRuntimeOptions {
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
  /** Address the API server binds. @default `0.0.0.0:<apiPort>` */
  readonly apiListen?: string;
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
}

/** What happened on one host. */
export type HostAction = 'installed' | 'unchanged' | 'skipped-ready';

/** What {@link bootstrapInventory} did on one host. */
export interface HostBootstrapResult {
  /** `installed`: files uploaded or service (re)started; `unchanged`: checked, nothing to do; `skipped-ready`: not touched. */
  readonly action: HostAction;
  /** How the service runs (absent when the host was skipped). */
  readonly mode?: HostInstallResult['mode'];
  readonly filesUploaded: number;
  readonly bytesUploaded: number;
  readonly serviceChanged: boolean;
  /** True when the pinned Node.js runtime was sent to the host (it lacked that exact one). */
  readonly runtimeUploaded: boolean;
}

const SKIPPED: HostBootstrapResult = {
  action: 'skipped-ready',
  filesUploaded: 0,
  bytesUploaded: 0,
  serviceChanged: false,
  runtimeUploaded: false,
};

const actionOf = (r: HostInstallResult, runtimeUploaded: boolean): HostBootstrapResult => ({
  ...r,
  runtimeUploaded,
  action: r.filesUploaded > 0 || r.serviceChanged || runtimeUploaded ? 'installed' : 'unchanged',
});

/** What installing the control plane and then an agent on one (schedulable) master did. */
const bothServices = (a: HostInstallResult, b: HostInstallResult): HostInstallResult => ({
  mode: a.mode,
  filesUploaded: a.filesUploaded + b.filesUploaded,
  bytesUploaded: a.bytesUploaded + b.bytesUploaded,
  serviceChanged: a.serviceChanged || b.serviceChanged,
});

/** What {@link bootstrapInventory} did. */
export interface BootstrapInventoryResult {
  /** `https://<master>:<port>` */
  readonly server: string;
  /** One outcome per host, master first; failed hosts carry their error. */
  readonly hosts: readonly HostOutcome<HostBootstrapResult>[];
  /** Admin kubeconfig text (holds a private key: write it 0600). */
  readonly kubeconfig: string;
}

/**
 * The API server URL of an inventory (its master on `apiPort`) and the cluster's PKI from its state
 * directory (made on first use): what bootstrap and `tugboat upgrade` talk to the cluster with.
 */
export function inventoryApi(options: Pick<BootstrapInventoryOptions, 'inventory' | 'stateDir' | 'apiPort'>) {
  const { master, cluster } = options.inventory;
  const host = master.address.includes(':') ? `[${master.address}]` : master.address;
  const pki = loadOrCreateClusterPki({
    cluster,
    dir: join(options.stateDir, 'pki'),
    apiAltNames: [master.address],
  });
  return { server: `https://${host}:${options.apiPort ?? 6443}`, pki };
}

/**
 * Installs a cluster on the hosts of an inventory: the control plane on the master (then waits
 * for /readyz over TLS), then the agent on every worker in parallel (then waits until its Node is
 * Ready). Idempotent: a second run uploads nothing and restarts nothing (unless `force`). A failed worker reports
 * its name, step, exit code and stderr tail while the others finish. With `skipReady`, hosts that
 * already work are not even connected to; when the control plane does not answer, the master is
 * bootstrapped first and the Nodes are asked again before the workers.
 */
export async function bootstrapInventory(
  given: BootstrapInventoryOptions,
): Promise<BootstrapInventoryResult> {
  // The inventory may choose the hosts' Node.js (`nodeRuntime: host`); an explicit option wins.
  const nodeRuntime = given.nodeRuntime ?? given.inventory.nodeRuntime;
  const options: BootstrapInventoryOptions = { ...given, ...(nodeRuntime ? { nodeRuntime } : {}) };
  const { inventory: inv } = options;
  const events = options.events ?? silentEvents;
  const layoutFor = options.layoutFor ?? (() => DEFAULT_HOST_LAYOUT);
  const apiPort = options.apiPort ?? 6443;
  const { server, pki } = inventoryApi(options);
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const force = options.force ?? false;
  const askHealth = async (): Promise<ClusterHealth> => {
    const health = await readClusterHealth({ server, caPem: pki.ca.certPem, ...pki.admin });
    events.emit({
      code: 'cluster.health',
      level: 'info',
      message: health.controlPlaneReady
        ? `control plane ready; ${health.readyNodes.size} Ready node(s)`
        : `control plane not ready (${health.problem}): bootstrapping the master first`,
      data: { controlPlaneReady: health.controlPlaneReady, readyNodes: [...health.readyNodes] },
    });
    return health;
  };
  const skipReady = (options.skipReady ?? false) && !force;
  const before = skipReady ? await askHealth() : undefined;
  let after: Promise<ClusterHealth> | undefined;
  const isReady = async (
    host: BootstrapHost,
    role: 'master' | 'worker',
    masterUp: () => Promise<void>,
  ): Promise<boolean> => {
    if (!before) return false;
    if (role === 'master')
      return before.controlPlaneReady && (!masterRunsAgent || before.readyNodes.has(host.name));
    if (before.controlPlaneReady) return before.readyNodes.has(host.name);
    // The master is being (re)installed: ask again once it is up, now that the agents can report.
    await masterUp();
    after ??= askHealth();
    return (await after).readyNodes.has(host.name);
  };
  const installRuntime = hostRuntimeInstaller({ ...options, events });
  const preflight = async (
    shell: RemoteShell,
    host: BootstrapHost,
    requireDocker: boolean,
    requireNetworkTools: boolean,
  ) => {
    const report = await ensureHostPrerequisites(shell, {
      layout: layoutFor(host),
      requireDocker,
      requireNetworkTools,
      requireNode: options.nodeRuntime === 'host',
      install: options.installPackages ?? true,
      events,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // Preflight already knows the init system: saves a round trip per host.
    return {
      facts: report.facts,
      mode: report.facts.systemd ? ('systemd' as const) : ('supervised' as const),
    };
  };
  const podNetwork = options.podNetwork ?? defaultPodNetwork;
  const masterRunsAgent = options.masterSchedulable ?? inv.workers.length === 0;
  const outcomes = await runMasterWithWorkers(
    inv.master,
    inv.workers,
    async (host, role, masterUp): Promise<HostBootstrapResult> => {
      if (await isReady(host, role, masterUp)) {
        events.emit({
          code: 'host.skipped',
          level: 'info',
          message: `${host.name}: ${role === 'master' ? 'control plane' : 'node'} already Ready, left alone`,
          data: { host: host.name, role },
        });
        return SKIPPED;
      }
      return onHost(host, options, async (shell) => {
        const runsAgent = role === 'worker' || masterRunsAgent;
        const wantsDocker = runsAgent && inv.runtime === 'docker';
        const { facts, mode } = await timedStep(events, host, 'preflight', async () => {
          const net = agentNetworkOptions(inv.runtime, options, podNetwork.podCidr);
          const needsNet = runsAgent && Boolean(net.podNetwork || net.serviceProxy);
          const first = await preflight(shell, host, false, needsNet);
          // Docker missing, or installed but stopped where systemd could start it: install or start
          // it now. Installed and not answering yet without systemd is a host still booting: the
          // worker waits for it (waitForDocker) before its agent needs it.
          const { dockerInstalled, dockerVersion, systemd } = first.facts;
          if (wantsDocker && (!dockerInstalled || (!dockerVersion && systemd)))
            return preflight(shell, host, true, needsNet);
          return first;
        });
        const runtime = await timedStep(events, host, 'runtime', () =>
          installRuntime(shell, facts, {
            layout: layoutFor(host),
            force,
            ...(options.signal ? { signal: options.signal } : {}),
          }),
        );
        const nodePath = runtime.nodePath;
        const withRuntime = (r: HostInstallResult): HostBootstrapResult =>
          actionOf(
            { ...r, bytesUploaded: r.bytesUploaded + runtime.bytesUploaded },
            runtime.bytesUploaded > 0,
          );
        let controlPlane: HostInstallResult | undefined;
        if (role === 'master') {
          controlPlane = await timedStep(events, host, 'install', () =>
            installControlPlane(shell, {
              layout: layoutFor(host),
              bundle: options.bundle,
              pki,
              nodePath,
              listen: options.apiListen ?? `0.0.0.0:${apiPort}`,
              podNetwork,
              ...(podNetwork.serviceCidr ? { serviceCidr: podNetwork.serviceCidr } : {}),
              advertiseAddress: host.address,
              ...(options.stateShipping ? { stateShipping: options.stateShipping } : {}),
              mode,
              events,
              force,
            }),
          );
          await timedStep(events, host, 'healthy', () =>
            waitForHealthy(`${server}/readyz`, {
              caPem: pki.ca.certPem,
              // Workers wait on this: probe often (one host, a cheap GET).
              intervalMs: 250,
              timeoutMs: readyTimeoutMs,
              signal: options.signal,
            }),
          );
          if (!runsAgent) return withRuntime(controlPlane);
        }
        const pkiDir = join(options.stateDir, 'pki');
        const agent: AgentInstallOptions = {
          layout: layoutFor(host),
          bundle: options.bundle,
          nodeName: host.name,
          server,
          caPem: pki.ca.certPem,
          client: loadOrCreateNodeCertificate(pki, pkiDir, host.name),
          serving: loadOrCreateAgentServingCertificate(pki, pkiDir, host.name, [host.address]),
          nodePath,
          internalIp: host.address,
          runtime: inv.runtime,
          ...agentNetworkOptions(inv.runtime, options, podNetwork.podCidr),
          listen: options.agentListen?.(host) ?? '0.0.0.0:10250',
          imds: 'off',
          ...(host.group ? { group: host.group } : {}),
          ...(host.labels ? { labels: host.labels } : {}),
          mode,
          events,
          force,
        };
        // Upload while the master's control plane starts; start the agent only once it is up.
        const presynced = await timedStep(events, host, 'upload', () =>
          syncHostFiles(shell, buildAgentFiles(agent), { events, force }),
        );
        if (wantsDocker) {
          await timedStep(events, host, 'docker', () => waitForDocker(shell, { signal: options.signal }));
        }
        await timedStep(events, host, 'wait-master', masterUp);
        const result = await timedStep(events, host, controlPlane ? 'install-agent' : 'install', () =>
          installAgent(shell, { ...agent, presynced }),
        );
        await timedStep(events, host, 'ready', () =>
          waitForNodeReady(host.name, {
            server,
            caPem: pki.ca.certPem,
            ...pki.admin,
            timeoutMs: readyTimeoutMs,
            signal: options.signal,
          }),
        );
        return withRuntime(controlPlane ? bothServices(controlPlane, result) : result);
      });
    },
    { concurrency: options.concurrency, events, signal: options.signal },
  );
  const kubeconfig = renderKubeconfig({
    cluster: inv.cluster,
    server,
    caPem: pki.ca.certPem,
    user: 'admin',
    ...pki.admin,
  });
  return { server, hosts: outcomes, kubeconfig };
}

/**
 * What an agent runs of the cluster network: the pod network (with cluster DNS) on docker hosts
 * and the service proxy everywhere, both on unless turned off. Pure.
 */
export function agentNetworkOptions(
  runtime: string,
  options: Pick<BootstrapInventoryOptions, 'agentPodNetwork' | 'agentServiceProxy'>,
  podCidr: string,
): { podNetwork?: true; serviceProxy?: 'iptables'; clusterCidr?: string } {
  const pods = runtime === 'docker' && (options.agentPodNetwork ?? true);
  const proxy = options.agentServiceProxy ?? true;
  return {
    ...(pods ? { podNetwork: true as const } : {}),
    ...(proxy ? { serviceProxy: 'iptables' as const } : {}),
    ...(pods || proxy ? { clusterCidr: podCidr } : {}),
  };
}

/** Removes tugboat (services, processes, files) from every host of an inventory; failures are per host. */
export function uninstallInventory(
  options: InventoryAccessOptions & { readonly keepData?: boolean },
): Promise<HostOutcome<UninstallResult>[]> {
  const layoutFor = options.layoutFor ?? (() => DEFAULT_HOST_LAYOUT);
  const hosts = [options.inventory.master, ...options.inventory.workers];
  return runOnHosts(
    hosts,
    (host) =>
      onHost(host, options, (shell) =>
        uninstallHost(shell, {
          layout: layoutFor(host),
          // etcd runs only on masters of an etcd cluster; removing an absent service is a no-op.
          services: [CONTROL_PLANE_SERVICE, ETCD_SERVICE, AGENT_SERVICE],
          nodeName: host.name,
          events: options.events,
          ...(options.keepData ? { keepData: true } : {}),
        }),
      ),
    { concurrency: options.concurrency, events: options.events, signal: options.signal },
  );
}
