import { join } from 'node:path';
import { DeploymentError } from '../errors.js';
import { silentEvents } from '../events.js';
import { loadOrCreateAgentServingCertificate, loadOrCreateNodeCertificate } from '../pki/cluster-pki.js';
import { renderKubeconfig } from '../pki/kubeconfig.js';
import type { PodNetworkSettings } from '../provision/template/settings.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import { type AgentInstallOptions, buildAgentFiles, installAgent } from './agent-install.js';
import { type BootstrapHost, mastersOf } from './bootstrap-hosts.js';
import type { BootstrapInventoryOptions, BootstrapInventoryResult } from './bootstrap-inventory-options.js';
import { type ClusterHealth, readClusterHealth } from './cluster-health.js';
import { installControlPlane } from './control-plane-install.js';
import { ensureEtcdBinary, etcdReleaseLoader } from './etcd-binary.js';
import { actionOf, bothServices, type HostBootstrapResult, SKIPPED } from './host-bootstrap-result.js';
import { syncHostFiles } from './host-files.js';
import type { HostInstallResult } from './host-install.js';
import { preflightWithMode } from './host-prerequisites.js';
import { hostRuntimeInstaller } from './host-runtime.js';
import { onHost } from './inventory-access.js';
import { agentNetworkOptions, inventoryApi } from './inventory-api.js';
import { DEFAULT_HOST_LAYOUT } from './layout.js';
import { etcdEndpointsFor, etcdStartBarrier, mastersEtcd, startEtcdMember } from './masters-etcd.js';
import { runMastersWithWorkers } from './run-hosts.js';
import { timedStep } from './timed-step.js';
import { waitForDocker } from './wait-docker.js';
import { waitForHealthy } from './wait-healthy.js';
import { waitForNodeReady } from './wait-node-ready.js';

const defaultPodNetwork: PodNetworkSettings = { podCidr: '10.244.0.0/16', nodePodCidrPrefix: 24 };

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
  const { server, servers, kubeconfigServer, pki } = inventoryApi(options);
  const masters = mastersOf(inv);
  const store = options.store ?? (masters.length > 1 ? 'etcd' : 'embedded');
  if (store === 'embedded' && masters.length > 1)
    throw new DeploymentError(
      'STORE_NOT_SHARED',
      `${masters.length} masters need store: etcd (the embedded store lives on one master): set store: etcd or use one master`,
    );
  const pkiDir = join(options.stateDir, 'pki');
  const etcd = store === 'etcd' ? mastersEtcd(inv.cluster, masters, pki, pkiDir) : undefined;
  const etcdStarted = etcdStartBarrier(etcd ? masters.map((m) => m.name) : []);
  const apiUrlOf = (host: BootstrapHost) => servers[masters.indexOf(host)] ?? server;
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const force = options.force ?? false;
  const healthAt = (url: string) => readClusterHealth({ server: url, caPem: pki.ca.certPem, ...pki.admin });
  // The first master that answers speaks for the cluster: with one gone, the others still know the Nodes.
  const askHealth = async (): Promise<ClusterHealth> => {
    let health = await healthAt(server);
    for (const url of servers.slice(1)) {
      if (health.controlPlaneReady) break;
      health = await healthAt(url);
    }
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
  // With several masters each one's own API server is asked: the first answering says nothing of the others.
  const mastersReady =
    skipReady && masters.length > 1
      ? new Map(
          await Promise.all(
            masters.map(async (m) => [m.name, (await healthAt(apiUrlOf(m))).controlPlaneReady] as const),
          ),
        )
      : undefined;
  let after: Promise<ClusterHealth> | undefined;
  const isReady = async (
    host: BootstrapHost,
    role: 'master' | 'worker',
    masterUp: () => Promise<void>,
  ): Promise<boolean> => {
    if (options.only && !options.only.includes(host.name)) return true;
    if (!before) return false;
    if (role === 'master')
      return (
        (mastersReady?.get(host.name) ?? before.controlPlaneReady) &&
        (!masterRunsAgent || before.readyNodes.has(host.name))
      );
    if (before.controlPlaneReady) return before.readyNodes.has(host.name);
    // The master is being (re)installed: ask again once it is up, now that the agents can report.
    await masterUp();
    after ??= askHealth();
    return (await after).readyNodes.has(host.name);
  };
  const installRuntime = hostRuntimeInstaller({ ...options, events });
  const etcdRelease = etcdReleaseLoader({ ...options, events });
  const preflight = (
    shell: RemoteShell,
    host: BootstrapHost,
    requireDocker: boolean,
    requireNetworkTools: boolean,
  ) =>
    preflightWithMode(shell, {
      layout: layoutFor(host),
      requireDocker,
      requireNetworkTools,
      requireNode: options.nodeRuntime === 'host',
      install: options.installPackages ?? true,
      events,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  const podNetwork = options.podNetwork ?? defaultPodNetwork;
  const masterRunsAgent = options.masterSchedulable ?? inv.workers.length === 0;
  const outcomes = await runMastersWithWorkers(
    masters,
    inv.workers,
    async (host, role, masterUp): Promise<HostBootstrapResult> => {
      // A master that cannot start its etcd member releases the others waiting for it.
      try {
        return await bootstrapHost(host, role, masterUp);
      } catch (err) {
        etcdStarted.failed(host.name, err as Error);
        throw err;
      }
    },
    { concurrency: options.concurrency, events, signal: options.signal },
  );
  async function bootstrapHost(
    host: BootstrapHost,
    role: 'master' | 'worker',
    masterUp: () => Promise<void>,
  ): Promise<HostBootstrapResult> {
    if (await isReady(host, role, masterUp)) {
      if (role === 'master') void etcdStarted.started(host.name);
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
        actionOf({ ...r, bytesUploaded: r.bytesUploaded + runtime.bytesUploaded }, runtime.bytesUploaded > 0);
      let controlPlane: HostInstallResult | undefined;
      if (role === 'master') {
        const binary = etcd
          ? await timedStep(events, host, 'etcd-binary', () =>
              ensureEtcdBinary(shell, {
                layout: layoutFor(host),
                source: options.etcdSource ?? 'auto',
                ...(options.etcdPath ? { packagePath: options.etcdPath } : {}),
                ...(options.etcdPin ? { pin: options.etcdPin } : {}),
                loadRelease: etcdRelease,
                events,
                ...(options.signal ? { signal: options.signal } : {}),
              }),
            )
          : undefined;
        const member = etcd
          ? await startEtcdMember(shell, host, {
              etcd,
              caPem: pki.ca.certPem,
              started: etcdStarted,
              layout: layoutFor(host),
              mode,
              nodePath,
              ...(binary ? { etcdPath: binary.etcdPath } : {}),
              timeoutMs: readyTimeoutMs,
              events,
              force,
              ...(options.signal ? { signal: options.signal } : {}),
            })
          : undefined;
        const listen = typeof options.apiListen === 'function' ? options.apiListen(host) : options.apiListen;
        controlPlane = await timedStep(events, host, 'install', () =>
          installControlPlane(shell, {
            layout: layoutFor(host),
            bundle: options.bundle,
            pki,
            nodePath,
            listen: listen ?? `0.0.0.0:${apiPort}`,
            ...(etcd
              ? {
                  etcd: { endpoints: etcdEndpointsFor(host.name, etcd.members), clientCert: etcd.clientCert },
                }
              : {}),
            podNetwork,
            ...(podNetwork.serviceCidr ? { serviceCidr: podNetwork.serviceCidr } : {}),
            advertiseAddress: host.address,
            ...(options.stateShipping ? { stateShipping: options.stateShipping } : {}),
            mode,
            events,
            force,
          }),
        );
        if (member)
          controlPlane = bothServices(
            { ...member, bytesUploaded: member.bytesUploaded + (binary?.bytesUploaded ?? 0) },
            controlPlane,
          );
        await timedStep(events, host, 'healthy', () =>
          waitForHealthy(`${apiUrlOf(host)}/readyz`, {
            caPem: pki.ca.certPem,
            // Workers wait on this: probe often (one host, a cheap GET).
            intervalMs: 250,
            timeoutMs: readyTimeoutMs,
            signal: options.signal,
          }),
        );
        if (!runsAgent) return withRuntime(controlPlane);
      }
      const agent: AgentInstallOptions = {
        layout: layoutFor(host),
        bundle: options.bundle,
        nodeName: host.name,
        server,
        ...(servers.length > 1 ? { failoverServers: servers.slice(1) } : {}),
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
        ...(host.taints?.length ? { taints: host.taints } : {}),
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
          // Any master will do: the first one down must not fail a worker whose node is fine.
          failoverServers: servers.slice(1),
          caPem: pki.ca.certPem,
          ...pki.admin,
          timeoutMs: readyTimeoutMs,
          signal: options.signal,
        }),
      );
      return withRuntime(controlPlane ? bothServices(controlPlane, result) : result);
    });
  }
  const kubeconfig = renderKubeconfig({
    cluster: inv.cluster,
    server: kubeconfigServer,
    caPem: pki.ca.certPem,
    user: 'admin',
    ...pki.admin,
  });
  return { server, servers, hosts: outcomes, kubeconfig };
}

export type { BootstrapInventoryOptions, BootstrapInventoryResult } from './bootstrap-inventory-options.js';
export type { HostAction, HostBootstrapResult } from './host-bootstrap-result.js';
export { agentNetworkOptions, inventoryApi } from './inventory-api.js';
export { uninstallInventory } from './inventory-uninstall.js';
