import { join } from 'node:path';
import { silentEvents } from '../events.js';
import {
  loadOrCreateAgentServingCertificate,
  loadOrCreateClusterPki,
  loadOrCreateNodeCertificate,
} from '../pki/cluster-pki.js';
import { renderKubeconfig } from '../pki/kubeconfig.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { AGENT_SERVICE, installAgent } from './agent-install.js';
import { type ClusterHealth, readClusterHealth } from './cluster-health.js';
import { CONTROL_PLANE_SERVICE, type HostBundle, installControlPlane } from './control-plane-install.js';
import type { HostInstallResult } from './host-install.js';
import { ensureHostPrerequisites } from './host-prerequisites.js';
import type { HostInventoryEntry } from './inventory.js';
import { type InventoryAccessOptions, onHost } from './inventory-access.js';
import { DEFAULT_HOST_LAYOUT } from './layout.js';
import { type HostOutcome, runMasterThenWorkers, runOnHosts } from './run-hosts.js';
import { type UninstallResult, uninstallHost } from './uninstall.js';
import { waitForHealthy } from './wait-healthy.js';
import { waitForNodeReady } from './wait-node-ready.js';

/** Options for {@link bootstrapInventory}. */
export interface BootstrapInventoryOptions extends InventoryAccessOptions {
  readonly bundle: HostBundle;
  /** @default 6443 */
  readonly apiPort?: number;
  /** Address the API server binds. @default `0.0.0.0:<apiPort>` */
  readonly apiListen?: string;
  /** Address each agent's logs/exec server binds. @default () => '0.0.0.0:10250' */
  readonly agentListen?: (host: HostInventoryEntry) => string;
  /** Per-host limit for the control plane's /readyz and each Node's Ready. @default 180000 */
  readonly readyTimeoutMs?: number;
  /**
   * Leave alone what already works: the master when the control plane answers /readyz, and every
   * worker whose Node is Ready (`tugboat bootstrap NAME` on a running cluster). @default false
   */
  readonly skipReady?: boolean;
  /**
   * Install Node.js (and Docker on docker-runtime workers) where preflight finds it missing, with
   * the host's package manager. When false, a missing prerequisite fails the host. @default true
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
}

const SKIPPED: HostBootstrapResult = {
  action: 'skipped-ready',
  filesUploaded: 0,
  bytesUploaded: 0,
  serviceChanged: false,
};

const actionOf = (r: HostInstallResult): HostBootstrapResult => ({
  ...r,
  action: r.filesUploaded > 0 || r.serviceChanged ? 'installed' : 'unchanged',
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
 * Installs a cluster on the hosts of an inventory: the control plane on the master (then waits
 * for /readyz over TLS), then the agent on every worker in parallel (then waits until its Node is
 * Ready). Idempotent: a second run uploads nothing and restarts nothing. A failed worker reports
 * its name, step, exit code and stderr tail while the others finish. With `skipReady`, hosts that
 * already work are not even connected to; when the control plane does not answer, the master is
 * bootstrapped first and the Nodes are asked again before the workers.
 */
export async function bootstrapInventory(
  options: BootstrapInventoryOptions,
): Promise<BootstrapInventoryResult> {
  const { inventory: inv } = options;
  const events = options.events ?? silentEvents;
  const layoutFor = options.layoutFor ?? (() => DEFAULT_HOST_LAYOUT);
  const apiPort = options.apiPort ?? 6443;
  const server = `https://${inv.master.address.includes(':') ? `[${inv.master.address}]` : inv.master.address}:${apiPort}`;
  const pki = loadOrCreateClusterPki({
    cluster: inv.cluster,
    dir: join(options.stateDir, 'pki'),
    apiAltNames: [inv.master.address],
  });
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
  const isReady = async (host: HostInventoryEntry, role: 'master' | 'worker'): Promise<boolean> => {
    if (!before) return false;
    if (role === 'master') return before.controlPlaneReady;
    // The master was just (re)installed: ask again once, now that the agents can report.
    after ??= before.controlPlaneReady ? Promise.resolve(before) : askHealth();
    return (await after).readyNodes.has(host.name);
  };
  const preflight = async (shell: RemoteShell, host: HostInventoryEntry, requireDocker: boolean) => {
    const report = await ensureHostPrerequisites(shell, {
      layout: layoutFor(host),
      requireDocker,
      install: options.installPackages ?? true,
      events,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // Preflight already knows the init system: saves a round trip per host.
    return {
      nodePath: report.facts.nodePath,
      mode: report.facts.systemd ? ('systemd' as const) : ('supervised' as const),
    };
  };
  const outcomes = await runMasterThenWorkers(
    inv.master,
    inv.workers,
    async (host, role): Promise<HostBootstrapResult> => {
      if (await isReady(host, role)) {
        events.emit({
          code: 'host.skipped',
          level: 'info',
          message: `${host.name}: ${role === 'master' ? 'control plane' : 'node'} already Ready, left alone`,
          data: { host: host.name, role },
        });
        return SKIPPED;
      }
      return onHost(host, options, async (shell) => {
        const { nodePath, mode } = await preflight(
          shell,
          host,
          role === 'worker' && inv.runtime === 'docker',
        );
        if (role === 'master') {
          const result = await installControlPlane(shell, {
            layout: layoutFor(host),
            bundle: options.bundle,
            pki,
            nodePath,
            listen: options.apiListen ?? `0.0.0.0:${apiPort}`,
            mode,
            events,
            force,
          });
          await waitForHealthy(`${server}/readyz`, {
            caPem: pki.ca.certPem,
            timeoutMs: readyTimeoutMs,
            signal: options.signal,
          });
          return actionOf(result);
        }
        const pkiDir = join(options.stateDir, 'pki');
        const result = await installAgent(shell, {
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
          listen: options.agentListen?.(host) ?? '0.0.0.0:10250',
          imds: 'off',
          ...(host.group ? { group: host.group } : {}),
          ...(host.labels ? { labels: host.labels } : {}),
          mode,
          events,
          force,
        });
        await waitForNodeReady(host.name, {
          server,
          caPem: pki.ca.certPem,
          ...pki.admin,
          timeoutMs: readyTimeoutMs,
          signal: options.signal,
        });
        return actionOf(result);
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

/** Removes tugboat (services, processes, files) from every host of an inventory; failures are per host. */
export function uninstallInventory(options: InventoryAccessOptions): Promise<HostOutcome<UninstallResult>[]> {
  const layoutFor = options.layoutFor ?? (() => DEFAULT_HOST_LAYOUT);
  const hosts = [options.inventory.master, ...options.inventory.workers];
  return runOnHosts(
    hosts,
    (host) =>
      onHost(host, options, (shell) =>
        uninstallHost(shell, {
          layout: layoutFor(host),
          services: [CONTROL_PLANE_SERVICE, AGENT_SERVICE],
          nodeName: host.name,
          events: options.events,
        }),
      ),
    { concurrency: options.concurrency, events: options.events, signal: options.signal },
  );
}
