import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  octetString,
  oid,
  readElement,
  sequence,
  set,
  time,
  unsignedInteger,
  utf8String,
} from './der.js';

/** A distinguished name: one CN, any number of O (Kubernetes reads the O values as groups). */
export interface DistinguishedName {
  readonly commonName: string;
  /** @default [] */
  readonly organizations?: readonly string[];
}

/** What a certificate may be used for. */
export type CertificateUsage = 'ca' | 'server' | 'client' | 'server-and-client';

/** Everything needed to sign one certificate. */
export interface CertificateTemplate {
  readonly subject: DistinguishedName;
  /** The DER encoding of the issuer's subject Name (the subject itself for a self-signed CA). */
  readonly issuerNameDer: Buffer;
  /** Public key of the certificate holder. */
  readonly publicKey: KeyObject;
  /** Private key of the issuer (ECDSA P-256). */
  readonly signingKey: KeyObject;
  /** Public key of the issuer, for the authority key identifier. */
  readonly issuerPublicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly usage: CertificateUsage;
  /** DNS names and IP addresses (IPv4 or IPv6) for the subjectAltName extension. @default [] */
  readonly altNames?: readonly string[];
  /** Serial number bytes. @default 16 random bytes */
  readonly serial?: Buffer;
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** DER of an X.501 Name: O values first, then CN, each its own RDN (as Go's crypto/x509 writes them). */
export function encodeName(name: DistinguishedName): Buffer {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  const orgs = (name.organizations ?? []).map((o) => rdn(OID.organization, o));
  return sequence(...orgs, rdn(OID.commonName, name.commonName));
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const outer = readElement(spki, 0);
  const algorithm = readElement(spki, outer.start);
  const bits = readElement(spki, algorithm.end);
  return createHash('sha1')
    .update(spki.subarray(bits.start + 1, bits.end))
    .digest();
}

/** Encodes an IP address for a SAN iPAddress entry (4 or 16 bytes). */
export function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`"${ip}" is not an IP address`);
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const [a, b, c, d] = v4[1].split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(oid(id), boolean(true), octetString(value))
    : sequence(oid(id), octetString(value));
}

/** KeyUsage bits (RFC 5280 §4.2.1.3) numbered from the most significant bit of the first byte. */
function keyUsageBits(bits: readonly number[]): Buffer {
  const top = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(top / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)]! |= 0x80 >> (b % 8);
  return bitString(bytes, 7 - (top % 8));
}

/** GeneralName entries of a subjectAltName: iPAddress for IPs, dNSName otherwise. */
export function altNameEntries(names: readonly string[]): Buffer[] {
  return names.map((n) =>
    isIPv4(n) || isIPv6(n) ? implicitPrimitive(7, ipBytes(n)) : implicitPrimitive(2, Buffer.from(n, 'ascii')),
  );
}

function extensionsFor(t: CertificateTemplate): Buffer {
  const DIGITAL_SIGNATURE = 0;
  const KEY_CERT_SIGN = 5;
  const CRL_SIGN = 6;
  const list: Buffer[] = [];
  if (t.usage === 'ca') {
    list.push(extension(OID.basicConstraints, true, sequence(boolean(true))));
    list.push(extension(OID.keyUsage, true, keyUsageBits([DIGITAL_SIGNATURE, KEY_CERT_SIGN, CRL_SIGN])));
  } else {
    list.push(extension(OID.basicConstraints, true, sequence()));
    list.push(extension(OID.keyUsage, true, keyUsageBits([DIGITAL_SIGNATURE])));
    const purposes = {
      server: [OID.serverAuth],
      client: [OID.clientAuth],
      'server-and-client': [OID.serverAuth, OID.clientAuth],
    }[t.usage];
    list.push(extension(OID.extKeyUsage, false, sequence(...purposes.map(oid))));
  }
  const altNames = t.altNames ?? [];
  if (altNames.length > 0) {
    list.push(extension(OID.subjectAltName, false, sequence(...altNameEntries(altNames))));
  }
  list.push(extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(t.publicKey))));
  list.push(
    extension(
      OID.authorityKeyIdentifier,
      false,
      sequence(implicitPrimitive(0, keyIdentifier(t.issuerPublicKey))),
    ),
  );
  return explicit(3, sequence(...list));
}

/** A positive serial of at most 20 bytes (RFC 5280 §4.1.2.2). */
function randomSerial(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes;
}

/** Builds and signs an X.509 v3 certificate with ECDSA-SHA256. Returns DER. */
export function buildCertificateDer(t: CertificateTemplate): Buffer {
  if (
    t.signingKey.asymmetricKeyType !== 'ec' ||
    t.signingKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1'
  ) {
    throw new Error('the issuing key must be an ECDSA P-256 key: regenerate the CA with tugboat');
  }
  if (!(t.notAfter > t.notBefore)) {
    throw new Error(
      `notAfter (${t.notAfter.toISOString()}) must be after notBefore (${t.notBefore.toISOString()})`,
    );
  }
  const signatureAlgorithm = sequence(oid(OID.ecdsaWithSha256));
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))),
    unsignedInteger(t.serial ?? randomSerial()),
    signatureAlgorithm,
    t.issuerNameDer,
    sequence(time(t.notBefore), time(t.notAfter)),
    encodeName(t.subject),
    t.publicKey.export({ type: 'spki', format: 'der' }),
    extensionsFor(t),
  );
  const signature = sign('sha256', tbs, { key: t.signingKey, dsaEncoding: 'der' });
  return sequence(tbs, signatureAlgorithm, bitString(signature));
}
