import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { type CertificateAuthority, createCa, type IssuedCertificate, loadCa } from './authority.js';
import {
  DEFAULT_API_SERVER_NAMES,
  issueAdminCertificate,
  issueAgentServingCertificate,
  issueApiServerCertificate,
  issueClientCertificate,
  issueEtcdClientCertificate,
  issueNodeCertificate,
} from './cluster-certs.js';
import { writeKeyFile } from './pem.js';
import { generateServiceAccountKeyPem } from './service-account-key.js';

/** User name the API server presents to node agents (logs, exec); agents accept only this CN. */
export const API_SERVER_CLIENT_USER = 'tugboat-apiserver';

/** A cluster's credentials as kept on the machine that runs tugboat. */
export interface ClusterPki {
  readonly ca: CertificateAuthority;
  readonly admin: IssuedCertificate;
  readonly apiServer: IssuedCertificate;
  /** Client certificate the API server presents to agents. */
  readonly apiServerClient: IssuedCertificate;
  /** The key that signs service-account tokens (PKCS#8 PEM, `sa.key`); one per cluster, never rotated here. */
  readonly serviceAccountKey: string;
  /** Whether anything was created or re-issued by this call. */
  readonly changed: boolean;
}

/** Options for {@link loadOrCreateClusterPki}. */
export interface ClusterPkiOptions {
  readonly cluster: string;
  /** Directory holding the files (`~/.tugboat/<cluster>/pki`); created 0700. */
  readonly dir: string;
  /** Addresses clients use for the API (EIP, public and private IPs, DNS name). */
  readonly apiAltNames: readonly string[];
  /** @default new Date() */
  readonly now?: Date;
  /** Re-issue leaf certificates that expire within this many days. @default 30 */
  readonly renewWithinDays?: number;
}

function read(dir: string, name: string): string | undefined {
  const path = join(dir, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function stillGood(
  issued: IssuedCertificate | undefined,
  ca: CertificateAuthority,
  now: Date,
  renewMs: number,
  wantNames?: readonly string[],
): issued is IssuedCertificate {
  if (!issued) return false;
  const cert = new X509Certificate(issued.certPem);
  if (!cert.checkIssued(ca.cert) || !cert.verify(ca.cert.publicKey)) return false;
  if (new Date(cert.validTo).getTime() - now.getTime() < renewMs) return false;
  return (wantNames ?? []).every((n) => (isIP(n) ? cert.checkIP(n) : cert.checkHost(n)) !== undefined);
}

/**
 * Loads the cluster's CA and certificates from `dir`, creating what is missing and re-issuing a
 * certificate that is about to expire or lacks an API address; so running bootstrap twice reuses
 * the same files and uploads nothing new. Keys are written 0600.
 */
export function loadOrCreateClusterPki(options: ClusterPkiOptions): ClusterPki {
  const { dir } = options;
  const now = options.now ?? new Date();
  const renewMs = (options.renewWithinDays ?? 30) * 86_400_000;
  let changed = false;
  const caCert = read(dir, 'ca.crt');
  const caKey = read(dir, 'ca.key');
  let ca: CertificateAuthority;
  if (caCert && caKey) ca = loadCa(caCert, caKey);
  else {
    if (caCert || caKey) {
      throw new Error(`${dir} holds only half of the cluster CA (ca.crt or ca.key): restore the other file`);
    }
    ca = createCa({ cluster: options.cluster, now });
    writeKeyFile(join(dir, 'ca.key'), ca.keyPem);
    writeFileSync(join(dir, 'ca.crt'), ca.certPem, { mode: 0o644 });
    changed = true;
  }
  const pair = (name: string, issue: () => IssuedCertificate, wantNames?: readonly string[]) => {
    const cert = read(dir, `${name}.crt`);
    const key = read(dir, `${name}.key`);
    const existing = cert && key ? { certPem: cert, keyPem: key } : undefined;
    if (stillGood(existing, ca, now, renewMs, wantNames)) return existing;
    const issued = issue();
    writeKeyFile(join(dir, `${name}.key`), issued.keyPem);
    writeFileSync(join(dir, `${name}.crt`), issued.certPem, { mode: 0o644 });
    changed = true;
    return issued;
  };
  const apiNames = [...options.apiAltNames, ...DEFAULT_API_SERVER_NAMES];
  const admin = pair('admin', () => issueAdminCertificate(ca, { now }));
  const apiServer = pair(
    'apiserver',
    () => issueApiServerCertificate(ca, { altNames: options.apiAltNames, now }),
    apiNames,
  );
  const apiServerClient = pair('apiserver-client', () =>
    issueClientCertificate(ca, { user: API_SERVER_CLIENT_USER, groups: ['tugboat:apiservers'], now }),
  );
  let serviceAccountKey = read(dir, 'sa.key');
  if (!serviceAccountKey) {
    serviceAccountKey = generateServiceAccountKeyPem();
    writeKeyFile(join(dir, 'sa.key'), serviceAccountKey);
    changed = true;
  }
  return { ca, admin, apiServer, apiServerClient, serviceAccountKey, changed };
}

/** When a kept leaf certificate is re-issued: `renewWithinDays` (30) before it expires. */
export interface LeafReuseOptions {
  readonly now?: Date;
  readonly renewWithinDays?: number;
}

/**
 * The certificate kept in `dir/<name>.{crt,key}` when the CA signed it, it is valid for more than
 * `renewWithinDays` and it covers `altNames`; else a new one from `issue`, written there (key 0600).
 */
export function loadOrIssue(
  pki: Pick<ClusterPki, 'ca'>,
  dir: string,
  name: string,
  options: LeafReuseOptions,
  issue: (now: Date) => IssuedCertificate,
  altNames?: readonly string[],
): IssuedCertificate {
  const now = options.now ?? new Date();
  const renewMs = (options.renewWithinDays ?? 30) * 86_400_000;
  const cert = read(dir, `${name}.crt`);
  const key = read(dir, `${name}.key`);
  const existing = cert && key ? { certPem: cert, keyPem: key } : undefined;
  if (stillGood(existing, pki.ca, now, renewMs, altNames)) return existing;
  const issued = issue(now);
  writeKeyFile(join(dir, `${name}.key`), issued.keyPem);
  writeFileSync(join(dir, `${name}.crt`), issued.certPem, { mode: 0o644 });
  return issued;
}

/** A node's client certificate, kept in `dir/nodes/<name>.{crt,key}` and reused while valid. */
export function loadOrCreateNodeCertificate(
  pki: Pick<ClusterPki, 'ca'>,
  dir: string,
  nodeName: string,
  options: LeafReuseOptions = {},
): IssuedCertificate {
  return loadOrIssue(pki, dir, `nodes/${nodeName}`, options, (now) =>
    issueNodeCertificate(pki.ca, { nodeName, now }),
  );
}

/**
 * A node agent's serving certificate (logs/exec port), kept in `dir/nodes/<name>-serving.{crt,key}`
 * and reused while valid and still covering `altNames`.
 */
export function loadOrCreateAgentServingCertificate(
  pki: Pick<ClusterPki, 'ca'>,
  dir: string,
  nodeName: string,
  altNames: readonly string[],
  options: LeafReuseOptions = {},
): IssuedCertificate {
  return loadOrIssue(
    pki,
    dir,
    `nodes/${nodeName}-serving`,
    options,
    (now) => issueAgentServingCertificate(pki.ca, { nodeName, altNames, now }),
    altNames,
  );
}

/** The API servers' etcd client certificate, kept in `dir/etcd/apiserver-etcd-client.{crt,key}`. */
export function loadOrCreateEtcdClientCertificate(
  pki: Pick<ClusterPki, 'ca'>,
  dir: string,
  options: LeafReuseOptions = {},
): IssuedCertificate {
  return loadOrIssue(pki, dir, 'etcd/apiserver-etcd-client', options, (now) =>
    issueEtcdClientCertificate(pki.ca, { now }),
  );
}
