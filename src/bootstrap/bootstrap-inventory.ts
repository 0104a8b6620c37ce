import { join } from 'node:path';
import { type EventSink, silentEvents } from '../events.js';
import {
  loadOrCreateAgentServingCertificate,
  loadOrCreateClusterPki,
  loadOrCreateNodeCertificate,
} from '../pki/cluster-pki.js';
import { renderKubeconfig } from '../pki/kubeconfig.js';
import { connectSsh } from '../ssh/connect.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { AGENT_SERVICE, type AgentInstallOptions, buildAgentFiles, installAgent } from './agent-install.js';
import { CONTROL_PLANE_SERVICE, type HostBundle, installControlPlane } from './control-plane-install.js';
import { syncHostFiles } from './host-files.js';
import type { HostInstallResult } from './host-install.js';
import { ensureHostPrerequisites } from './host-prerequisites.js';
import type { HostInventory, HostInventoryEntry } from './inventory.js';
import { DEFAULT_HOST_LAYOUT, type HostLayout } from './layout.js';
import { type HostOutcome, runMasterWithWorkers, runOnHosts } from './run-hosts.js';
import { type UninstallResult, uninstallHost } from './uninstall.js';
import { waitForDocker } from './wait-docker.js';
import { waitForHealthy } from './wait-healthy.js';
import { waitForNodeReady } from './wait-node-ready.js';

/** How to reach and lay out the inventory's hosts. */
export interface InventoryAccessOptions {
  readonly inventory: HostInventory;
  /** Local state of the cluster (`~/.tugboat/<cluster>`): CA, certificates, known_hosts. */
  readonly stateDir: string;
  /** Record host keys never seen before (`--trust-new-hosts`). @default false */
  readonly trustNewHosts?: boolean;
  /** Hosts worked on at once after the master. @default 10 */
  readonly concurrency?: number;
  /** The layout on each host. Tests give every simulated host its own root. @default DEFAULT_HOST_LAYOUT */
  readonly layoutFor?: (host: HostInventoryEntry) => HostLayout;
  /** SSH connection attempts per host (instances may still be booting). @default 10 */
  readonly connectAttempts?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
  readonly signal?: AbortSignal;
}

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

/** What {@link bootstrapInventory} did. */
export interface BootstrapInventoryResult {
  /** `https://<master>:<port>` */
  readonly server: string;
  /** One outcome per host, master first; failed hosts carry their error. */
  readonly hosts: readonly HostOutcome<HostInstallResult>[];
  /** Admin kubeconfig text (holds a private key: write it 0600). */
  readonly kubeconfig: string;
}

async function openShell(host: HostInventoryEntry, o: InventoryAccessOptions): Promise<RemoteShell> {
  const inv = o.inventory;
  const hostKeys = {
    knownHostsPath: join(o.stateDir, 'known_hosts'),
    trustNewHosts: o.trustNewHosts ?? false,
    pinnedHostKeys: [host.hostKey, inv.jumpHost?.hostKey].filter((k): k is string => Boolean(k)),
  };
  return connectSsh({
    host: host.address,
    port: host.port,
    username: host.user,
    name: host.name,
    ...(inv.privateKeyFile ? { privateKeyPath: inv.privateKeyFile } : {}),
    ...(inv.jumpHost
      ? {
          jumpHost: {
            host: inv.jumpHost.address,
            port: inv.jumpHost.port,
            username: inv.jumpHost.user,
            ...(inv.privateKeyFile ? { privateKeyPath: inv.privateKeyFile } : {}),
          },
        }
      : {}),
    hostKeys,
    retry: { attempts: o.connectAttempts ?? 10 },
    events: o.events,
    signal: o.signal,
  });
}

/**
 * Runs one step of a host's bootstrap and emits `host.step` (debug) with its duration, so
 * `--debug` and the benchmark show where each host's time goes.
 */
async function timedStep<T>(
  events: EventSink,
  host: HostInventoryEntry,
  step: string,
  fn: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    const ms = Date.now() - started;
    events.emit({
      code: 'host.step',
      level: 'debug',
      message: `${host.name}: ${step} took ${ms} ms`,
      data: { host: host.name, step, ms, endedAt: started + ms },
    });
  }
}

async function onHost<T>(
  host: HostInventoryEntry,
  o: InventoryAccessOptions,
  fn: (shell: RemoteShell) => Promise<T>,
): Promise<T> {
  const shell = await timedStep(o.events ?? silentEvents, host, 'connect', () => openShell(host, o));
  try {
    return await fn(shell);
  } finally {
    await shell.close();
  }
}

/**
 * Installs a cluster on the hosts of an inventory: the control plane on the master (then waits
 * for /readyz over TLS), then the agent on every worker in parallel (then waits until its Node is
 * Ready). Idempotent: a second run uploads nothing and restarts nothing (unless `force`). A failed worker reports
 * its name, step, exit code and stderr tail while the others finish.
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
      facts: report.facts,
    };
  };
  const outcomes = await runMasterWithWorkers(
    inv.master,
    inv.workers,
    (host, role, masterUp) =>
      onHost(host, options, async (shell) => {
        const needsDocker = role === 'worker' && inv.runtime === 'docker';
        const { nodePath, mode } = await timedStep(events, host, 'preflight', async () => {
          const first = await preflight(shell, host, false);
          // Docker missing, or installed but stopped where systemd could start it: install or start
          // it now. Installed and not answering yet without systemd is a host still booting: the
          // worker waits for it (waitForDocker) before its agent needs it.
          const { dockerInstalled, dockerVersion, systemd } = first.facts;
          if (needsDocker && (!dockerInstalled || (!dockerVersion && systemd)))
            return preflight(shell, host, true);
          return first;
        });
        if (role === 'master') {
          const result = await timedStep(events, host, 'install', () =>
            installControlPlane(shell, {
              layout: layoutFor(host),
              bundle: options.bundle,
              pki,
              nodePath,
              listen: options.apiListen ?? `0.0.0.0:${apiPort}`,
              mode,
              events,
              force: options.force ?? false,
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
          return result;
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
          listen: options.agentListen?.(host) ?? '0.0.0.0:10250',
          imds: 'off',
          ...(host.group ? { group: host.group } : {}),
          ...(host.labels ? { labels: host.labels } : {}),
          mode,
          events,
          force: options.force ?? false,
        };
        // Upload while the master's control plane starts; start the agent only once it is up.
        const presynced = await timedStep(events, host, 'upload', () =>
          syncHostFiles(shell, buildAgentFiles(agent), { events, force: options.force ?? false }),
        );
        if (needsDocker) {
          await timedStep(events, host, 'docker', () => waitForDocker(shell, { signal: options.signal }));
        }
        await timedStep(events, host, 'wait-master', masterUp);
        const result = await timedStep(events, host, 'install', () =>
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
        return result;
      }),
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
          events: options.events,
        }),
      ),
    { concurrency: options.concurrency, events: options.events, signal: options.signal },
  );
}
