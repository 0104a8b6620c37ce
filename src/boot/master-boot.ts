import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { InstanceIdentity } from '../agent/imds.js';
import type { AwsClients } from '../aws/clients.js';
import { installControlPlane } from '../bootstrap/control-plane-install.js';
import type { EtcdReleasePin } from '../bootstrap/etcd-release.js';
import { DEFAULT_HOST_LAYOUT, type HostLayout } from '../bootstrap/layout.js';
import type { ServiceMode } from '../bootstrap/service.js';
import { waitForHealthy } from '../bootstrap/wait-healthy.js';
import { type EventSink, silentEvents } from '../events.js';
import { issueApiServerCertificate, issueClientCertificate } from '../pki/cluster-certs.js';
import { API_SERVER_CLIENT_USER } from '../pki/cluster-pki.js';
import { clusterStatePrefix, secretsKeyAlias } from '../provision/template/storage-names.js';
import { templateBucket } from '../provision/template-store.js';
import { clusterSecrets } from '../secrets/cluster-secrets.js';
import { LocalShell } from '../ssh/local-shell.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { BootSpecSettings } from './boot-flags.js';
import { type EtcdFormation, readEtcdFormation } from './etcd-formation.js';
import { bootMasterEtcd } from './master-boot-etcd.js';
import { associateMasterEip, claimMasterEip, masterPoolAddresses, pickMasterEip } from './master-eip.js';
import { publishApiServer, publishApiServers } from './master-endpoint.js';
import type { MasterEtcd } from './master-etcd.js';
import { chooseMasterEtcdPath, type MasterEtcdPath, markFormedByBoot } from './master-etcd-form.js';
import { ensureMasterSecrets } from './master-secrets.js';

/** How a master installs itself; every field has the real instance's value as default (tests give their own). */
export interface MasterBootOverrides {
  /** @default the standard host layout under / */
  readonly layout?: HostLayout;
  /** @default a LocalShell (the boot runs on the host it installs) */
  readonly shell?: RemoteShell;
  /** The verified bundle this boot runs from. @default process.argv[1] */
  readonly bundlePath?: string;
  /** @default process.execPath */
  readonly nodePath?: string;
  /** The API server's listen address. @default 0.0.0.0:6443 */
  readonly listen?: string;
  /** @default 'auto' (systemd where it is PID 1) */
  readonly mode?: ServiceMode | 'auto';
  /** How long the control plane may take to restore and answer /readyz. @default 600000 */
  readonly readyTimeoutMs?: number;
  /** Where the distribution's package puts etcd (store etcd). @default DEFAULT_ETCD_PATH */
  readonly etcdPath?: string;
  /** The etcd release staged in S3 and unpacked where the host has no package. @default ETCD_RELEASE */
  readonly etcdPin?: EtcdReleasePin;
  /** Store etcd: how long no quorum among the other masters is waited out. @default 60000 */
  readonly etcdQuorumWaitMs?: number;
  /** Store etcd, forming from user-data: how long all the masters may take to exist. @default 600000 */
  readonly allMastersTimeoutMs?: number;
  /** Store etcd, formed from user-data: how long every member may take to be healthy for the marker. @default 120000 */
  readonly formedMarkTimeoutMs?: number;
}

/** Options of {@link runMasterBoot}. */
export interface MasterBootOptions extends MasterBootOverrides {
  readonly cluster: string;
  readonly identity: InstanceIdentity;
  /** Clients with the instance role's credentials. */
  readonly aws: AwsClients;
  /** The pod and Service ranges and the API's DNS name from the launch template. @default the control plane's defaults, no DNS name */
  readonly spec?: BootSpecSettings;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** What the master's boot did. */
export interface MasterBootResult {
  /** The address published for workers, `https://<EIP or private IP>:<port>`; absent when left to bootstrap. */
  readonly server?: string;
  /**
   * The cluster's etcd is being formed with this master by `tugboat bootstrap`, which installs it:
   * the boot installed nothing and is not a failure.
   */
  readonly leftToBootstrap?: true;
  /** Secret items this boot created (the "no client" path); empty when `tugboat create` had stored them. */
  readonly createdSecrets: readonly string[];
  /** The master Elastic IP this instance now holds. @default none (the cluster has no master EIP) */
  readonly eip?: string;
}

const portOf = (listen: string) => Number(listen.slice(listen.lastIndexOf(':') + 1));

/**
 * The master's part of `boot`: its CA and service-account key from the cluster's SSM
 * SecureStrings (created there on the "no client" path), the control plane installed with SSH
 * bootstrap's own installer over a LocalShell (same host layout) with its store shipped to the
 * cluster's S3 prefix — so it restores the newest shipped state before it serves, and its claim of
 * the next generation fences the master before it — then, once it answers /readyz, the master
 * Elastic IP moved to it and the API address published for workers. With store etcd the etcd
 * formation marker decides first (see etcd-formation.ts): leave everything to the SSH bootstrap
 * forming it, join as a replacement, or form it with the other masters from user-data. No secret
 * on a command line or in an event: certificates and keys reach the host as 0600 files.
 */
export async function runMasterBoot(options: MasterBootOptions): Promise<MasterBootResult> {
  const { aws, cluster, identity } = options;
  const events = options.events ?? silentEvents;
  const spec = options.spec ?? {};
  const etcdStore = spec.store === 'etcd';
  // Before anything is read or created: a new cluster's masters booting while `tugboat create`
  // forms etcd over SSH leave everything to it (no wait, no failure report, no second writer).
  let etcdPath: MasterEtcdPath | undefined;
  let formation: EtcdFormation | undefined;
  if (etcdStore) {
    formation = await readEtcdFormation(aws.ssm, cluster);
    etcdPath = chooseMasterEtcdPath(formation, spec.masters);
    if (etcdPath === 'leave-to-bootstrap') {
      events.emit({
        code: 'boot.left-to-bootstrap',
        level: 'info',
        message: `${cluster}'s etcd is being formed by tugboat bootstrap (create), which installs this master: the boot installs nothing`,
      });
      return { createdSecrets: [], leftToBootstrap: true };
    }
  }
  const keyId = secretsKeyAlias(cluster);
  const store = clusterSecrets({ ssm: aws.ssm, kms: aws.kms, cluster, keyId });
  const secrets = await ensureMasterSecrets({ store, ssm: aws.ssm, keyId });
  events.emit({
    code: 'boot.secrets',
    level: 'info',
    message: secrets.created.length
      ? `no CA in SSM yet: this master created ${secrets.created.join(', ')} under /tugboat/${cluster}/`
      : `CA and service-account key read from SSM under /tugboat/${cluster}/`,
    data: { created: secrets.created },
  });

  // Several masters each hold their own address of the master pool: a booted master takes its
  // own or a free one, never another running master's.
  let eip = await pickMasterEip(aws.ec2, cluster, etcdStore ? { instanceId: identity.instanceId } : {});
  const listen = options.listen ?? '0.0.0.0:6443';
  const port = portOf(listen);
  const altNames = [identity.privateIp, ...(identity.publicIp ? [identity.publicIp] : [])];
  if (eip && !altNames.includes(eip.publicIp)) altNames.push(eip.publicIp);
  // Masters booting at once race for the pool's addresses after they serve: any may end up this one's.
  if (etcdStore)
    for (const a of await masterPoolAddresses(aws.ec2, cluster)) if (!altNames.includes(a)) altNames.push(a);
  if (identity.localHostname) altNames.push(identity.localHostname);
  // The name kubeconfigs use when the spec has a DNS record (api.dns), as SSH bootstrap names it.
  if (spec.apiDns) altNames.push(spec.apiDns);
  const pki = {
    ca: secrets.ca,
    apiServer: issueApiServerCertificate(secrets.ca, { altNames }),
    apiServerClient: issueClientCertificate(secrets.ca, {
      user: API_SERVER_CLIENT_USER,
      groups: ['tugboat:apiservers'],
    }),
    serviceAccountKey: secrets.serviceAccountKeyPem,
  };
  const bundlePath = options.bundlePath ?? process.argv[1];
  if (!bundlePath) throw new Error('boot does not know which bundle it runs from');
  const bucket = await templateBucket(aws);
  const layout = options.layout ?? DEFAULT_HOST_LAYOUT;
  const shell = options.shell ?? new LocalShell({ host: identity.instanceId });
  const nodePath = options.nodePath ?? process.execPath;
  let etcd: MasterEtcd | undefined;
  if (etcdStore && etcdPath) {
    const joined = await bootMasterEtcd(options, {
      path: etcdPath,
      formation,
      ca: secrets.ca,
      layout,
      nodePath,
      shell,
      bucket,
      events,
    });
    if (!joined) return { createdSecrets: secrets.created, leftToBootstrap: true };
    etcd = joined;
  }
  await installControlPlane(shell, {
    layout,
    mode: options.mode ?? 'auto',
    events,
    bundle: { file: basename(bundlePath), content: readFileSync(bundlePath) },
    pki,
    nodePath,
    listen,
    advertiseAddress: identity.privateIp,
    // The spec's ranges, passed as SSH bootstrap passes them (node IPAM, Service ClusterIPs).
    ...(spec.podNetwork ? { podNetwork: spec.podNetwork } : {}),
    ...(spec.serviceCidr ? { serviceCidr: spec.serviceCidr } : {}),
    // With etcd the objects live in the members (synced from the others); else the embedded
    // store is shipped to S3 and restored from there. With the spec's backup either takes
    // scheduled backups to the cluster's prefix (an etcd master ships nothing: the bucket only
    // takes its backups).
    ...(etcd ? { etcd: { endpoints: [...etcd.endpoints], clientCert: etcd.clientCert } } : {}),
    ...(etcd && !spec.backup
      ? {}
      : {
          stateShipping: {
            bucket: bucket.bucket,
            prefix: clusterStatePrefix(cluster),
            region: aws.region,
            ...(spec.backup ? { backup: spec.backup } : {}),
          },
        }),
    // Workers the groups launch join by themselves: this master signs their node certificates
    // (for running instances of the cluster only) and keeps their join token's Secret.
    selfJoin: { caKeyPem: secrets.ca.keyPem, joinToken: secrets.bootstrapToken, cluster, region: aws.region },
  });
  events.emit({
    code: 'boot.control-plane-installed',
    level: 'info',
    message: etcd
      ? `control plane installed on etcd (${etcd.endpoints.join(', ')}); waiting for it to serve`
      : `control plane installed; restoring the shipped state from s3://${bucket.bucket}/${clusterStatePrefix(cluster)}/store/ and waiting for it to serve`,
  });
  await waitForHealthy(`https://127.0.0.1:${port}/readyz`, {
    caPem: secrets.ca.certPem,
    timeoutMs: options.readyTimeoutMs ?? 600_000,
  });
  events.emit({ code: 'boot.serving', level: 'info', message: 'control plane answers /readyz' });
  // Serving means this master holds the newest store generation: the one before is fenced, so
  // the address may move even while the old instance is still running.
  if (etcdStore) eip = await claimMasterEip(aws.ec2, cluster, identity.instanceId, events);
  else if (eip) await associateMasterEip(aws.ec2, eip, identity.instanceId, events, true);
  const host = eip?.publicIp ?? identity.privateIp;
  const server = urlOf(host, port);
  await publishApiServer(aws.ssm, cluster, server);
  // Several masters: the workers' agents fail over to the others (at their private addresses).
  if (etcd && etcd.members.length > 1)
    await publishApiServers(aws.ssm, cluster, [
      server,
      ...etcd.members.filter((m) => m.name !== identity.instanceId).map((m) => urlOf(m.address, port)),
    ]);
  if (etcd && etcdPath === 'form')
    await markFormedByBoot(shell, aws.ssm, {
      cluster,
      members: etcd.members,
      layout,
      nodePath,
      events,
      ...(options.formedMarkTimeoutMs !== undefined ? { timeoutMs: options.formedMarkTimeoutMs } : {}),
    });
  events.emit({
    code: 'boot.master-ready',
    level: 'info',
    message: `master ${identity.instanceId} of ${cluster} serves at ${server}`,
    data: { server, ...(eip ? { eip: eip.publicIp } : {}) },
  });
  return { server, createdSecrets: secrets.created, ...(eip ? { eip: eip.publicIp } : {}) };
}

/** `https://host:port`, an IPv6 address in brackets. */
function urlOf(host: string, port: number): string {
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
