import { posix } from 'node:path';
import type { IssuedCertificate } from '../pki/authority.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { HostBundle } from './control-plane-install.js';
import type { HostFile } from './host-files.js';
import { type HostInstallResult, type HostServiceOptions, installHostService } from './host-install.js';
import type { HostLayout } from './layout.js';
import type { ServiceSpec } from './service-units.js';

/** Name of the node agent's service. */
export const AGENT_SERVICE = 'tugboat-agent';

/** Options for {@link installAgent}: how to install (layout, mode, force...) plus what. */
export interface AgentInstallOptions extends HostServiceOptions {
  readonly bundle: HostBundle;
  /** Node name (the Node object's name and the certificate's `node:<name>`). */
  readonly nodeName: string;
  /** API server URL the agent connects to, e.g. `https://10.0.0.5:6443`. */
  readonly server: string;
  /** Cluster CA certificate (PEM): verifies the API server and the API server's client certificate. */
  readonly caPem: string;
  /**
   * This node's own client certificate (agents never share credentials). @default none: then
   * `bootstrapToken` is required and the agent asks for its certificate by CSR
   */
  readonly client?: IssuedCertificate;
  /**
   * Bootstrap token (a secret: a 0600 file, passed by path) the agent requests its client
   * certificate with when it has none (boot from user-data). @default none
   */
  readonly bootstrapToken?: string;
  /**
   * Serving certificate of the logs/exec server (SANs = the node's addresses). @default none: no
   * logs/exec server (kubectl logs and exec do not reach the node)
   */
  readonly serving?: IssuedCertificate;
  /**
   * Without `serving`: the agent asks for its serving certificate by CSR once its Node is
   * registered (`--rotate-server-certificates`; boot from user-data). @default false
   */
  readonly servingBootstrap?: boolean;
  /** Absolute path of node on the host. */
  readonly nodePath: string;
  /** InternalIP the agent reports. @default the agent's own detection */
  readonly internalIp?: string;
  /** @default 'docker' */
  readonly runtime?: 'docker' | 'process';
  /** Run the pod network in `clusterCidr` (docker runtime: sandbox per pod, bridge, VXLAN). @default false */
  readonly podNetwork?: boolean;
  /** Logs/exec server address. @default '0.0.0.0:10250' */
  readonly listen?: string;
  /** Read identity from EC2 IMDSv2: 'auto' on cloud hosts; 'off' for inventory hosts. @default 'auto' */
  readonly imds?: 'auto' | 'on' | 'off';
  /** Worker group the node reports. @default none */
  readonly group?: string;
  /** Extra node labels, e.g. the worker group. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Taints the node registers with, `key[=value]:Effect` (a worker group's). @default none */
  readonly taints?: readonly string[];
  /**
   * Route Services with the host's iptables (tugboat's own chains; `uninstall` removes them). Off
   * until bootstrap knows the host is a real or namespaced one: loopback test hosts share the
   * runner's kernel. @default 'off'
   */
  readonly serviceProxy?: 'off' | 'iptables';
  /** The cluster's pod range, for the proxy's masquerade rule and the pod network. @default none */
  readonly clusterCidr?: string;
}

/** Where the agent's files go on a host. */
export function agentPaths(layout: HostLayout, bundleFile: string) {
  const pki = posix.join(layout.etc, 'pki');
  return {
    bundle: posix.join(layout.opt, 'bundles', bundleFile),
    ca: posix.join(pki, 'ca.crt'),
    cert: posix.join(pki, 'node.crt'),
    key: posix.join(pki, 'node.key'),
    servingCert: posix.join(pki, 'agent-serving.crt'),
    servingKey: posix.join(pki, 'agent-serving.key'),
    bootstrapToken: posix.join(pki, 'bootstrap-token'),
    dataDir: posix.join(layout.lib, 'agent'),
  };
}

/** The agent's files. Pure. Keys 0600. */
export function buildAgentFiles(options: AgentInstallOptions): HostFile[] {
  const p = agentPaths(options.layout, options.bundle.file);
  if (!options.client && !options.bootstrapToken)
    throw new Error(`agent of ${options.nodeName}: give it a client certificate or a bootstrap token`);
  const { client, serving } = options;
  return [
    { path: p.bundle, content: options.bundle.content, mode: 0o755 },
    { path: p.ca, content: options.caPem, mode: 0o644 },
    ...(client
      ? [
          { path: p.cert, content: client.certPem, mode: 0o644 },
          { path: p.key, content: client.keyPem, mode: 0o600 },
        ]
      : []),
    ...(options.bootstrapToken && !client
      ? [{ path: p.bootstrapToken, content: options.bootstrapToken, mode: 0o600 }]
      : []),
    ...(serving
      ? [
          { path: p.servingCert, content: serving.certPem, mode: 0o644 },
          { path: p.servingKey, content: serving.keyPem, mode: 0o600 },
        ]
      : []),
  ];
}

/**
 * Node flags of the agent: a 1 MB young generation and V8's size-over-speed heuristics. With
 * {@link AGENT_ENV} they take a 100-pod agent from ~105 to ~86 MiB RSS (bench/metrics.md); the
 * agent's work (one sync loop, a scrape every 15 s) does not need the speed they give up.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--optimize-for-size'];

/**
 * The agent's environment: two glibc malloc arenas instead of eight per core, which the libuv
 * threads (file reads, TLS, zlib) otherwise each fill and keep.
 */
export const AGENT_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** The agent's service definition (credentials by path only). Pure. */
export function buildAgentService(options: AgentInstallOptions): ServiceSpec {
  const p = agentPaths(options.layout, options.bundle.file);
  const labels = Object.entries(options.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    name: AGENT_SERVICE,
    description: `tugboat node agent (${options.nodeName})`,
    command: [
      options.nodePath,
      ...AGENT_NODE_FLAGS,
      p.bundle,
      'agent',
      '--server',
      options.server,
      '--ca-file',
      p.ca,
      '--cert-file',
      p.cert,
      '--key-file',
      p.key,
      ...(options.bootstrapToken && !options.client ? ['--bootstrap-token-file', p.bootstrapToken] : []),
      '--node-name',
      options.nodeName,
      ...(options.internalIp ? ['--internal-ip', options.internalIp] : []),
      '--runtime',
      options.runtime ?? 'docker',
      '--data-dir',
      p.dataDir,
      '--listen',
      options.listen ?? '0.0.0.0:10250',
      ...(options.serving || options.servingBootstrap
        ? ['--tls-cert-file', p.servingCert, '--tls-key-file', p.servingKey, '--client-ca-file', p.ca]
        : []),
      ...(!options.serving && options.servingBootstrap ? ['--rotate-server-certificates'] : []),
      '--imds',
      options.imds ?? 'auto',
      ...(options.group ? ['--group', options.group] : []),
      ...(labels ? ['--labels', labels] : []),
      ...(options.taints ?? []).flatMap((t) => ['--taint', t]),
      ...(options.serviceProxy === 'iptables' ? ['--service-proxy', 'iptables'] : []),
      ...(options.podNetwork ? ['--pod-network'] : []),
      ...((options.serviceProxy === 'iptables' || options.podNetwork) && options.clusterCidr
        ? ['--cluster-cidr', options.clusterCidr]
        : []),
    ],
    env: AGENT_ENV,
    workingDirectory: options.layout.lib,
  };
}

/** Installs or updates the node agent on a host. Idempotent; restarts it when its files changed. */
export async function installAgent(
  shell: RemoteShell,
  options: AgentInstallOptions,
): Promise<HostInstallResult> {
  return installHostService(shell, buildAgentFiles(options), buildAgentService(options), options);
}
