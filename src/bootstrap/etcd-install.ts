import { posix } from 'node:path';
import type { IssuedCertificate } from '../pki/authority.js';
import { ETCD_PEER_NAME } from '../pki/cluster-certs.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { HostFile } from './host-files.js';
import { type HostInstallResult, type HostServiceOptions, installHostService } from './host-install.js';
import type { HostLayout } from './layout.js';
import type { ServiceSpec } from './service-units.js';

/** Name of etcd's service (systemd unit or supervisor) on a master. */
export const ETCD_SERVICE = 'tugboat-etcd';

/**
 * Where etcd comes from: the distribution's package (`etcd-server` on Debian and Ubuntu installs
 * /usr/bin/etcd; the tests use that binary). Amazon Linux has no package: there a pinned release
 * staged in the cluster's S3 prefix is the plan (not built yet).
 */
export const DEFAULT_ETCD_PATH = '/usr/bin/etcd';

/** etcd's standard ports. */
export const DEFAULT_ETCD_PORTS = { client: 2379, peer: 2380 } as const;

/** One member of the cluster's etcd: a master, by its node name and the address peers dial. */
export interface EtcdMember {
  /** Member name (the master's node name); unique in the cluster. */
  readonly name: string;
  /** Private address of the master (IPv4 or IPv6 literal). */
  readonly address: string;
}

/** Options for {@link installEtcd}. */
export interface EtcdInstallOptions extends HostServiceOptions {
  /** This host's member. */
  readonly member: EtcdMember;
  /** Every member of the cluster, this one included, in a stable order. */
  readonly members: readonly EtcdMember[];
  /** The cluster CA certificate (PEM) and this member's certificate (see issueEtcdMemberCertificate). */
  readonly pki: { readonly caPem: string; readonly memberCert: IssuedCertificate };
  /** Unique per cluster, so members of two clusters never join each other (`tugboat-<cluster>`). */
  readonly clusterToken: string;
  /** @default DEFAULT_ETCD_PATH */
  readonly etcdPath?: string;
  /** @default DEFAULT_ETCD_PORTS */
  readonly ports?: { readonly client: number; readonly peer: number };
  /** `new` when the cluster is formed, `existing` for a member added to a running cluster. @default 'new' */
  readonly initialClusterState?: 'new' | 'existing';
  /**
   * `--initial-cluster` as `member add` returned it (a member joining a running cluster).
   * @default every member of `members`
   */
  readonly initialCluster?: string;
  /**
   * Also write {@link EtcdInitialFlags} to the host (a member without data: its flags are being
   * chosen now and must stay the same on later runs). @default false
   */
  readonly recordInitialFlags?: boolean;
}

/**
 * The `--initial-cluster*` flags a member was first started with. etcd reads them only while its
 * data directory is empty; bootstrap keeps them unchanged afterwards (recorded on the host), so a
 * re-run never restarts a healthy member over flags etcd ignores.
 */
export interface EtcdInitialFlags {
  readonly state: 'new' | 'existing';
  readonly cluster: string;
}

/** Where etcd's files go on a master: certificates under /etc/tugboat/pki/etcd, data under /var/lib/tugboat/etcd. */
export function etcdPaths(layout: HostLayout) {
  const pki = posix.join(layout.etc, 'pki', 'etcd');
  return {
    ca: posix.join(pki, 'ca.crt'),
    cert: posix.join(pki, 'member.crt'),
    key: posix.join(pki, 'member.key'),
    dataDir: posix.join(layout.lib, 'etcd'),
    /** {@link EtcdInitialFlags} as JSON. */
    initialFlags: posix.join(layout.etc, 'etcd', 'initial-flags.json'),
  };
}

const hostPart = (address: string) => (address.includes(':') ? `[${address}]` : address);

/** `https://ADDRESS:2379` of every member: the API servers' `--etcd-endpoints`. Pure. */
export function etcdClientUrls(
  members: readonly EtcdMember[],
  ports: { readonly client: number } = DEFAULT_ETCD_PORTS,
): string[] {
  return members.map((m) => `https://${hostPart(m.address)}:${ports.client}`);
}

/** `name=https://ADDRESS:2380,...`: etcd's `--initial-cluster`. Pure. */
export function renderInitialCluster(
  members: readonly EtcdMember[],
  ports: { readonly peer: number } = DEFAULT_ETCD_PORTS,
): string {
  return members.map((m) => `${m.name}=https://${hostPart(m.address)}:${ports.peer}`).join(',');
}

/** The certificates etcd needs on its host. Pure. The key is 0600; the CA key never leaves the laptop. */
export function buildEtcdFiles(options: EtcdInstallOptions): HostFile[] {
  const p = etcdPaths(options.layout);
  return [
    { path: p.ca, content: options.pki.caPem, mode: 0o644 },
    { path: p.cert, content: options.pki.memberCert.certPem, mode: 0o644 },
    { path: p.key, content: options.pki.memberCert.keyPem, mode: 0o600 },
    ...(options.recordInitialFlags
      ? [{ path: p.initialFlags, content: `${JSON.stringify(initialFlagsOf(options))}\n`, mode: 0o644 }]
      : []),
  ];
}

/** The `--initial-cluster*` flags a member is started with. Pure. */
export function initialFlagsOf(options: EtcdInstallOptions): EtcdInitialFlags {
  return {
    state: options.initialClusterState ?? 'new',
    cluster:
      options.initialCluster ?? renderInitialCluster(options.members, options.ports ?? DEFAULT_ETCD_PORTS),
  };
}

/**
 * etcd's service: TLS with client certificates on both ports (any certificate the cluster CA
 * signed may be a client, so the security groups keep 2379 to the masters; peers must present
 * the member CN), listening on the member's address only (the API servers dial every member by
 * its address, this one included). Pure.
 */
export function buildEtcdService(options: EtcdInstallOptions): ServiceSpec {
  const p = etcdPaths(options.layout);
  const ports = options.ports ?? DEFAULT_ETCD_PORTS;
  const self = hostPart(options.member.address);
  const initial = initialFlagsOf(options);
  if (!options.members.some((m) => m.name === options.member.name))
    throw new Error(`etcd member ${options.member.name} is not in the member list`);
  return {
    name: ETCD_SERVICE,
    description: 'etcd member of the tugboat control plane',
    command: [
      options.etcdPath ?? DEFAULT_ETCD_PATH,
      '--name',
      options.member.name,
      '--data-dir',
      p.dataDir,
      '--listen-client-urls',
      `https://${self}:${ports.client}`,
      '--advertise-client-urls',
      `https://${self}:${ports.client}`,
      '--listen-peer-urls',
      `https://${self}:${ports.peer}`,
      '--initial-advertise-peer-urls',
      `https://${self}:${ports.peer}`,
      '--initial-cluster',
      initial.cluster,
      '--initial-cluster-state',
      initial.state,
      '--initial-cluster-token',
      options.clusterToken,
      '--client-cert-auth',
      '--trusted-ca-file',
      p.ca,
      '--cert-file',
      p.cert,
      '--key-file',
      p.key,
      '--peer-client-cert-auth',
      '--peer-trusted-ca-file',
      p.ca,
      '--peer-cert-file',
      p.cert,
      '--peer-key-file',
      p.key,
      '--peer-cert-allowed-cn',
      ETCD_PEER_NAME,
    ],
    workingDirectory: options.layout.lib,
  };
}

/**
 * Installs etcd on a master: uploads what differs of its certificates, then installs or updates
 * its service. Idempotent. Health is the caller's to check (every member must be started before
 * a new cluster has a quorum).
 */
export async function installEtcd(
  shell: RemoteShell,
  options: EtcdInstallOptions,
): Promise<HostInstallResult> {
  return installHostService(shell, buildEtcdFiles(options), buildEtcdService(options), options);
}
