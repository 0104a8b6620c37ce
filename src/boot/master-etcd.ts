import type { BootstrapHost } from '../bootstrap/bootstrap-hosts.js';
import type { EtcdMember } from '../bootstrap/etcd-install.js';
import type { HostLayout } from '../bootstrap/layout.js';
import { etcdEndpointsFor, etcdStartBarrier, startEtcdMember } from '../bootstrap/masters-etcd.js';
import type { ServiceMode } from '../bootstrap/service.js';
import { TugboatError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import type { CertificateAuthority, IssuedCertificate } from '../pki/authority.js';
import { issueEtcdClientCertificate, issueEtcdMemberCertificate } from '../pki/cluster-certs.js';
import type { RemoteShell } from '../ssh/remote-shell.js';

/** Options of {@link runMasterEtcdJoin}. */
export interface MasterEtcdJoinOptions {
  readonly cluster: string;
  /** This master's member: its instance id and private address. */
  readonly self: EtcdMember;
  /** The other masters' members (see findOtherMasters). */
  readonly others: readonly EtcdMember[];
  /** The cluster CA with its key (read from SSM): this master issues its own etcd certificates. */
  readonly ca: CertificateAuthority;
  readonly layout: HostLayout;
  /** Node.js on this host, for the calls to etcd's JSON gateway. */
  readonly nodePath: string;
  /** @default 'auto' */
  readonly mode?: ServiceMode | 'auto';
  /** @default DEFAULT_ETCD_PATH */
  readonly etcdPath?: string;
  /** How long the member may take to sync and report healthy. @default 120000 */
  readonly timeoutMs?: number;
  /** How long no quorum among the others is waited out before the boot fails. @default 60000 */
  readonly quorumWaitMs?: number;
  /**
   * No cluster is formed yet and nothing else forms it (no SSH bootstrap coming, see
   * etcd-formation.ts): with no quorum among the others, start this member with
   * `--initial-cluster-state new` and the same `--initial-cluster` of every master as they do
   * (etcd's static bootstrapping), instead of failing. @default false (join only)
   */
  readonly mayForm?: boolean;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** The etcd a booted master's control plane uses. */
export interface MasterEtcd {
  /** `--etcd-endpoints`: this master's member first, then the others. */
  readonly endpoints: readonly string[];
  /** The API server's client certificate for etcd. */
  readonly clientCert: IssuedCertificate;
  readonly members: readonly EtcdMember[];
}

/**
 * The etcd part of a master's boot on a cluster whose store is etcd: issues this master's member
 * and client certificates from the cluster CA, then runs SSH bootstrap's own member start
 * (`startEtcdMember`) over this host's shell with `joinOnly`: a master with etcd data keeps its
 * member; one without (a replacement) has the dead members removed — the old instance's, whose
 * instance is gone from the masters — adds itself through a healthy member, starts with
 * `--initial-cluster-state existing` and waits until it has synced. No quorum among the other
 * masters (for `quorumWaitMs`: an election lasts seconds) is an `ETCD_QUORUM` error naming the
 * recovery: a replacement never forms a cluster.
 */
export async function runMasterEtcdJoin(
  shell: RemoteShell,
  options: MasterEtcdJoinOptions,
): Promise<MasterEtcd> {
  const { self, others, ca } = options;
  const events = options.events ?? silentEvents;
  // Sorted by name: every master forming the cluster passes the same --initial-cluster.
  const members = [...others.filter((m) => m.name !== self.name), self].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  if (members.length === 1 && !options.mayForm)
    throw new TugboatError(
      'ETCD_QUORUM',
      `${self.name} is the only master of ${options.cluster} running: there is no etcd member to join, and a replaced master never forms a new etcd cluster (it would start empty). A one-master etcd cluster's data went with its instance: restore from the latest backup, see docs/ha-masters.md#lost-quorum`,
      { exitCode: 4 },
    );
  const memberCert = issueEtcdMemberCertificate(ca, { altNames: [self.address] });
  const clientCert = issueEtcdClientCertificate(ca);
  const host: BootstrapHost = {
    name: self.name,
    address: self.address,
    port: 22,
    user: 'root',
    role: 'master',
  };
  await startEtcdMember(shell, host, {
    etcd: {
      members,
      memberCerts: new Map([[self.name, memberCert]]),
      clientCert,
      clusterToken: `tugboat-${options.cluster}`,
    },
    caPem: ca.certPem,
    // Only this master starts here: the barrier is passed at once.
    started: etcdStartBarrier([self.name]),
    layout: options.layout,
    mode: options.mode ?? 'auto',
    nodePath: options.nodePath,
    joinOnly: !options.mayForm,
    events,
    ...(options.etcdPath ? { etcdPath: options.etcdPath } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.quorumWaitMs !== undefined ? { quorumWaitMs: options.quorumWaitMs } : {}),
  });
  const endpoints = etcdEndpointsFor(self.name, members);
  events.emit({
    code: 'boot.etcd-member',
    level: 'info',
    message: `etcd member ${self.name} (${self.address}) is healthy among ${members.length} masters`,
    data: { member: self.name, members: members.map((m) => m.name) },
  });
  return { endpoints, clientCert, members };
}
