import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import {
  buildCertificateDer,
  type CertificateUsage,
  type DistinguishedName,
  encodeName,
} from './certificate.js';
import { fromPem, generateKeyPair, privateKeyToPem, subjectNameDer, toPem } from './pem.js';

const DAY_MS = 86_400_000;
/** Certificates start a little in the past so a host whose clock is slightly behind accepts them. */
const BACKDATE_MS = 5 * 60_000;

/** A cluster certificate authority: its certificate and private key, parsed and as PEM. */
export interface CertificateAuthority {
  readonly certPem: string;
  /** PKCS#8 PEM. A secret: write it with `writeKeyFile`, never log it. */
  readonly keyPem: string;
  readonly cert: X509Certificate;
  readonly key: KeyObject;
  /** DER of the CA's subject Name, the issuer Name of everything it signs. */
  readonly nameDer: Buffer;
}

/** A certificate and its private key, both PEM. */
export interface IssuedCertificate {
  readonly certPem: string;
  /** PKCS#8 PEM. A secret. */
  readonly keyPem: string;
}

/** Options for {@link createCa}. */
export interface CreateCaOptions {
  /** Cluster name; the CA's common name is `tugboat-ca-<cluster>`. */
  readonly cluster: string;
  /** @default new Date() */
  readonly now?: Date;
  /** @default 3650 */
  readonly validityDays?: number;
}

function validity(now: Date | undefined, days: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(days) || days <= 0) {
    throw new Error(`validityDays (${days}) must be a positive number of days`);
  }
  const start = (now ?? new Date()).getTime();
  return { notBefore: new Date(start - BACKDATE_MS), notAfter: new Date(start + days * DAY_MS) };
}

/** Creates a new self-signed ECDSA P-256 cluster CA. */
export function createCa(options: CreateCaOptions): CertificateAuthority {
  if (!options.cluster.trim()) throw new Error('cluster name is empty: give the CA a cluster name');
  const { privateKey, publicKey } = generateKeyPair();
  const subject: DistinguishedName = {
    commonName: `tugboat-ca-${options.cluster}`,
    organizations: ['tugboat'],
  };
  const nameDer = encodeName(subject);
  const der = buildCertificateDer({
    subject,
    issuerNameDer: nameDer,
    publicKey,
    signingKey: privateKey,
    issuerPublicKey: publicKey,
    usage: 'ca',
    ...validity(options.now, options.validityDays ?? 3650),
  });
  const certPem = toPem(der, 'CERTIFICATE');
  return {
    certPem,
    keyPem: privateKeyToPem(privateKey),
    cert: new X509Certificate(der),
    key: privateKey,
    nameDer,
  };
}

/** Loads a CA from PEM, checking that the key belongs to the certificate and that it is a CA. */
export function loadCa(certPem: string, keyPem: string): CertificateAuthority {
  const der = fromPem(certPem, 'CERTIFICATE');
  const cert = new X509Certificate(der);
  const key = createPrivateKey(keyPem);
  if (!cert.ca) throw new Error(`certificate "${cert.subject}" is not a CA certificate: pass the cluster CA`);
  if (!cert.checkPrivateKey(key)) {
    throw new Error(`the private key does not belong to CA "${cert.subject}": pass the matching ca.key`);
  }
  return { certPem: toPem(der, 'CERTIFICATE'), keyPem, cert, key, nameDer: subjectNameDer(der) };
}

/** Options for {@link issueCertificate}. */
export interface IssueOptions {
  readonly subject: DistinguishedName;
  readonly usage: Exclude<CertificateUsage, 'ca'>;
  /** DNS names and IP addresses. @default [] */
  readonly altNames?: readonly string[];
  /** @default new Date() */
  readonly now?: Date;
  /** @default 365 */
  readonly validityDays?: number;
}

const DNS_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function checkAltName(name: string): void {
  if (isIP(name) !== 0) return;
  // An all-numeric dotted name is a mistyped IP address, not a host name.
  if (/^[\d.]+$/.test(name) || name.length > 253 || !DNS_NAME.test(name)) {
    throw new Error(`"${name}" is neither a valid IP address nor a DNS name: fix the address`);
  }
}

/**
 * Signs a leaf certificate for `publicKey` (a key pair kept by its holder, as with a CSR) and
 * returns its PEM.
 */
export function signPublicKey(ca: CertificateAuthority, publicKey: KeyObject, options: IssueOptions): string {
  const cn = options.subject.commonName;
  for (const value of [cn, ...(options.subject.organizations ?? [])]) {
    if (!value || [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
      throw new Error(`subject value ${JSON.stringify(value)} is empty or has control characters: fix it`);
    }
  }
  const altNames = [...new Set(options.altNames ?? [])];
  altNames.forEach(checkAltName);
  const der = buildCertificateDer({
    subject: options.subject,
    issuerNameDer: ca.nameDer,
    publicKey,
    signingKey: ca.key,
    issuerPublicKey: ca.cert.publicKey,
    usage: options.usage,
    altNames,
    ...validity(options.now, options.validityDays ?? 365),
  });
  return toPem(der, 'CERTIFICATE');
}

/** Issues a leaf certificate signed by `ca`, with a fresh key pair. */
export function issueCertificate(ca: CertificateAuthority, options: IssueOptions): IssuedCertificate {
  const { privateKey, publicKey } = generateKeyPair();
  return { certPem: signPublicKey(ca, publicKey, options), keyPem: privateKeyToPem(privateKey) };
}
