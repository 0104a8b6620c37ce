import { type CertificateAuthority, type IssuedCertificate, issueCertificate } from './authority.js';

/** Group that Kubernetes-style RBAC treats as all-powerful; the admin certificate carries it. */
export const ADMIN_GROUP = 'system:masters';
/** Group every node agent's client certificate carries. */
export const NODES_GROUP = 'tugboat:nodes';
/** Names every API server certificate carries besides the caller's, so local and in-cluster clients work. */
export const DEFAULT_API_SERVER_NAMES: readonly string[] = [
  '127.0.0.1',
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
];

/** Validity and clock shared by the cluster certificate issuers. */
export interface LeafOptions {
  /** @default new Date() */
  readonly now?: Date;
  /** @default 365 */
  readonly validityDays?: number;
}

/** Options for {@link issueApiServerCertificate}. */
export interface ApiServerCertificateOptions extends LeafOptions {
  /**
   * Addresses clients use to reach the API server: the EIP, public and private IPs, the Route 53
   * name. 127.0.0.1, localhost and the in-cluster `kubernetes*` names are always added.
   * @default []
   */
  readonly altNames?: readonly string[];
}

/** The API server's serving certificate (CN `tugboat-apiserver`). */
export function issueApiServerCertificate(
  ca: CertificateAuthority,
  options: ApiServerCertificateOptions = {},
): IssuedCertificate {
  return issueCertificate(ca, {
    subject: { commonName: 'tugboat-apiserver' },
    usage: 'server',
    altNames: [...(options.altNames ?? []), ...DEFAULT_API_SERVER_NAMES],
    now: options.now,
    validityDays: options.validityDays,
  });
}

/** Options for {@link issueClientCertificate}. */
export interface ClientCertificateOptions extends LeafOptions {
  /** The user name (certificate CN). */
  readonly user: string;
  /** Groups (certificate O values). @default [] */
  readonly groups?: readonly string[];
}

/** A client certificate for a user: CN is the user, O values are the groups. */
export function issueClientCertificate(
  ca: CertificateAuthority,
  options: ClientCertificateOptions,
): IssuedCertificate {
  return issueCertificate(ca, {
    subject: { commonName: options.user, organizations: options.groups ?? [] },
    usage: 'client',
    now: options.now,
    validityDays: options.validityDays,
  });
}

/** The cluster administrator's certificate: CN `admin`, O `system:masters`. */
export function issueAdminCertificate(
  ca: CertificateAuthority,
  options: LeafOptions = {},
): IssuedCertificate {
  return issueClientCertificate(ca, { ...options, user: 'admin', groups: [ADMIN_GROUP] });
}

/** The user name the API server sees for a node agent's client certificate. */
export function nodeUserName(nodeName: string): string {
  return `node:${nodeName}`;
}

/** One node agent's client certificate (agents never share credentials): CN `node:<name>`, O `tugboat:nodes`. */
export function issueNodeCertificate(
  ca: CertificateAuthority,
  options: LeafOptions & { readonly nodeName: string },
): IssuedCertificate {
  return issueClientCertificate(ca, {
    user: nodeUserName(options.nodeName),
    groups: [NODES_GROUP],
    now: options.now,
    validityDays: options.validityDays,
  });
}

/** Options for {@link issueAgentServingCertificate}. */
export interface AgentServingCertificateOptions extends LeafOptions {
  readonly nodeName: string;
  /** The node's addresses the API server dials (port 10250). 127.0.0.1 and localhost are always added. */
  readonly altNames: readonly string[];
}

/** The node agent's serving certificate for its logs/exec port; the API server is its only client. */
export function issueAgentServingCertificate(
  ca: CertificateAuthority,
  options: AgentServingCertificateOptions,
): IssuedCertificate {
  return issueCertificate(ca, {
    subject: { commonName: nodeUserName(options.nodeName), organizations: [NODES_GROUP] },
    usage: 'server',
    altNames: [...options.altNames, '127.0.0.1', 'localhost'],
    now: options.now,
    validityDays: options.validityDays,
  });
}

/** CN of every etcd member's certificate; members accept only peers presenting it (`--peer-cert-allowed-cn`). */
export const ETCD_PEER_NAME = 'tugboat-etcd-peer';
/** CN of the certificate the API servers present to etcd. */
export const ETCD_CLIENT_NAME = 'tugboat-apiserver-etcd-client';

/** Options for {@link issueEtcdMemberCertificate}. */
export interface EtcdMemberCertificateOptions extends LeafOptions {
  /** The member's addresses (its private IP, which peers and API servers dial); loopback is added. */
  readonly altNames: readonly string[];
}

/**
 * One certificate per etcd member, serving its client and peer ports and presented to its peers
 * (server and client usage, CN {@link ETCD_PEER_NAME}), as kubeadm's etcd `peer` certificate.
 */
export function issueEtcdMemberCertificate(
  ca: CertificateAuthority,
  options: EtcdMemberCertificateOptions,
): IssuedCertificate {
  return issueCertificate(ca, {
    subject: { commonName: ETCD_PEER_NAME },
    usage: 'server-and-client',
    altNames: [...options.altNames, '127.0.0.1', 'localhost'],
    now: options.now,
    validityDays: options.validityDays,
  });
}

/** The API servers' client certificate for etcd (CN {@link ETCD_CLIENT_NAME}). */
export function issueEtcdClientCertificate(
  ca: CertificateAuthority,
  options: LeafOptions = {},
): IssuedCertificate {
  return issueClientCertificate(ca, { ...options, user: ETCD_CLIENT_NAME });
}
