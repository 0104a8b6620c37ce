import { posix } from 'node:path';
import type { IssuedCertificate } from '../pki/authority.js';
import type { ClusterPki } from '../pki/cluster-pki.js';
import type { PodNetworkSettings } from '../provision/template/settings.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { HostFile } from './host-files.js';
import { type HostInstallResult, type HostServiceOptions, installHostService } from './host-install.js';
import type { HostLayout } from './layout.js';
import type { ServiceSpec } from './service-units.js';

/** Name of the control plane's service (systemd unit or supervisor). */
export const CONTROL_PLANE_SERVICE = 'tugboat-control-plane';

/** The host bundle to run (see scripts/bundle.mjs). */
export interface HostBundle {
  /** `tugboat-host-<hash>.mjs`: the name says which content it is, so a host that has it is skipped. */
  readonly file: string;
  readonly content: Buffer;
}

/** Options for {@link installControlPlane}. */
export interface ControlPlaneInstallOptions extends HostServiceOptions {
  readonly bundle: HostBundle;
  readonly pki: Pick<ClusterPki, 'ca' | 'apiServer' | 'apiServerClient' | 'serviceAccountKey'>;
  /** Absolute path of node on the host (preflight reports it). */
  readonly nodePath: string;
  /** @default '0.0.0.0:6443' */
  readonly listen?: string;
  /** Give each Node a block of this pod range (node IPAM). @default none */
  readonly podNetwork?: PodNetworkSettings;
  /** Where Services get their cluster IPs (the spec's network.serviceCidr). @default the server's 10.96.0.0/12 */
  readonly serviceCidr?: string;
  /** The master's private address: the `kubernetes` Service points at it. @default the server's choice */
  readonly advertiseAddress?: string;
  /** Ship the store to S3 and take scheduled backups (the spec's `backup`). @default off */
  readonly stateShipping?: StateShippingSettings;
  /** Keep the objects in etcd (`store: etcd`): every member's client URL and the API servers' client certificate. @default the embedded store */
  readonly etcd?: ControlPlaneEtcd;
  /**
   * What a master needs to let instances join by themselves (the boot path): the CA key, so the
   * CSR signer issues node certificates (`--cluster-signing-*`); the join token, whose Secret it
   * keeps (`--join-token-file`); and the cloud, so only running instances of the cluster are
   * approved (`--cloud-provider aws`). SSH bootstrap issues node certificates itself and leaves
   * this out: there the CA key never leaves the laptop. @default none
   */
  readonly selfJoin?: ControlPlaneSelfJoin;
}

/** See {@link ControlPlaneInstallOptions.selfJoin}. */
export interface ControlPlaneSelfJoin {
  readonly caKeyPem: string;
  readonly joinToken: string;
  readonly cluster: string;
  readonly region: string;
}

/** The etcd the control plane stores its objects in. */
export interface ControlPlaneEtcd {
  /** Client URLs of every member (see etcdClientUrls); the client fails over between them. */
  readonly endpoints: readonly string[];
  /** The certificate presented to etcd (see issueEtcdClientCertificate); the CA is the cluster CA. */
  readonly clientCert: IssuedCertificate;
}

function etcdFlags(etcd: ControlPlaneEtcd | undefined, p: ReturnType<typeof controlPlanePaths>): string[] {
  if (!etcd) return [];
  return [
    '--store',
    'etcd',
    '--etcd-endpoints',
    etcd.endpoints.join(','),
    '--etcd-cafile',
    p.ca,
    '--etcd-certfile',
    p.etcdClientCert,
    '--etcd-keyfile',
    p.etcdClientKey,
  ];
}

/** Where the master ships its store, and its backup schedule; credentials come from the instance role. */
export interface StateShippingSettings {
  readonly bucket: string;
  readonly prefix: string;
  readonly region: string;
  readonly backup?: { readonly schedule: string; readonly retain: number };
}

function shippingFlags(s: StateShippingSettings | undefined): string[] {
  if (!s) return [];
  const backup = s.backup
    ? ['--backup-schedule', s.backup.schedule, '--backup-retain', String(s.backup.retain)]
    : [];
  return ['--state-bucket', s.bucket, '--state-prefix', s.prefix, ...backup];
}

/** Where the control plane's files go on a host. */
export function controlPlanePaths(layout: HostLayout, bundleFile: string) {
  const pki = posix.join(layout.etc, 'pki');
  return {
    bundle: posix.join(layout.opt, 'bundles', bundleFile),
    ca: posix.join(pki, 'ca.crt'),
    cert: posix.join(pki, 'apiserver.crt'),
    key: posix.join(pki, 'apiserver.key'),
    clientCert: posix.join(pki, 'apiserver-client.crt'),
    clientKey: posix.join(pki, 'apiserver-client.key'),
    serviceAccountKey: posix.join(pki, 'sa.key'),
    etcdClientCert: posix.join(pki, 'etcd-client.crt'),
    etcdClientKey: posix.join(pki, 'etcd-client.key'),
    caKey: posix.join(pki, 'ca.key'),
    joinToken: posix.join(pki, 'join-token'),
    dataDir: posix.join(layout.lib, 'control-plane'),
  };
}

/** The files the control plane needs on its host. Pure. Private keys and the join token are 0600. */
export function buildControlPlaneFiles(options: ControlPlaneInstallOptions): HostFile[] {
  const p = controlPlanePaths(options.layout, options.bundle.file);
  return [
    { path: p.bundle, content: options.bundle.content, mode: 0o755 },
    { path: p.ca, content: options.pki.ca.certPem, mode: 0o644 },
    { path: p.cert, content: options.pki.apiServer.certPem, mode: 0o644 },
    { path: p.key, content: options.pki.apiServer.keyPem, mode: 0o600 },
    { path: p.clientCert, content: options.pki.apiServerClient.certPem, mode: 0o644 },
    { path: p.clientKey, content: options.pki.apiServerClient.keyPem, mode: 0o600 },
    { path: p.serviceAccountKey, content: options.pki.serviceAccountKey, mode: 0o600 },
    ...(options.etcd
      ? [
          { path: p.etcdClientCert, content: options.etcd.clientCert.certPem, mode: 0o644 },
          { path: p.etcdClientKey, content: options.etcd.clientCert.keyPem, mode: 0o600 },
        ]
      : []),
    ...(options.selfJoin
      ? [
          { path: p.caKey, content: options.selfJoin.caKeyPem, mode: 0o600 },
          { path: p.joinToken, content: `${options.selfJoin.joinToken}\n`, mode: 0o600 },
        ]
      : []),
  ];
}

/** The control plane's service definition: certificates are passed as file paths, never as values. Pure. */
export function buildControlPlaneService(options: ControlPlaneInstallOptions): ServiceSpec {
  const p = controlPlanePaths(options.layout, options.bundle.file);
  return {
    name: CONTROL_PLANE_SERVICE,
    description: 'tugboat control plane (Kubernetes-compatible API server)',
    command: [
      options.nodePath,
      p.bundle,
      'control-plane',
      '--data-dir',
      p.dataDir,
      '--listen',
      options.listen ?? '0.0.0.0:6443',
      '--tls-cert-file',
      p.cert,
      '--tls-private-key-file',
      p.key,
      '--client-ca-file',
      p.ca,
      '--kubelet-client-certificate',
      p.clientCert,
      '--kubelet-client-key',
      p.clientKey,
      '--service-account-signing-key-file',
      p.serviceAccountKey,
      ...(options.podNetwork
        ? [
            '--cluster-cidr',
            options.podNetwork.podCidr,
            '--node-cidr-mask-size',
            String(options.podNetwork.nodePodCidrPrefix),
          ]
        : []),
      ...(options.serviceCidr ? ['--service-cluster-ip-range', options.serviceCidr] : []),
      ...(options.advertiseAddress ? ['--advertise-address', options.advertiseAddress] : []),
      ...shippingFlags(options.stateShipping),
      ...etcdFlags(options.etcd, p),
      ...(options.selfJoin
        ? [
            '--cluster-signing-cert-file',
            p.ca,
            '--cluster-signing-key-file',
            p.caKey,
            '--join-token-file',
            p.joinToken,
            '--cloud-provider',
            'aws',
            '--cluster-name',
            options.selfJoin.cluster,
            '--cloud-region',
            options.selfJoin.region,
          ]
        : []),
    ],
    ...(options.stateShipping || options.selfJoin
      ? { env: { AWS_REGION: options.stateShipping?.region ?? options.selfJoin?.region ?? '' } }
      : {}),
    workingDirectory: options.layout.lib,
  };
}

/**
 * Installs the control plane on its host: uploads what differs (bundle, certificates), then
 * installs or updates its service. Idempotent. Health is checked by the caller over TLS.
 */
export async function installControlPlane(
  shell: RemoteShell,
  options: ControlPlaneInstallOptions,
): Promise<HostInstallResult> {
  return installHostService(
    shell,
    buildControlPlaneFiles(options),
    buildControlPlaneService(options),
    options,
  );
}
