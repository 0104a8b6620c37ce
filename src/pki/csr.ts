import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { altNameEntries, type DistinguishedName, encodeName } from './certificate.js';
import {
  bitString,
  children,
  type DerElement,
  explicit,
  octetString,
  oid,
  readElement,
  sequence,
  set,
  unsignedInteger,
} from './der.js';
import { fromPem, toPem } from './pem.js';

/**
 * PKCS#10 certificate signing requests (RFC 2986): the agent builds one for the key it keeps, the
 * API server parses and checks them (as Go's x509.ParseCertificateRequest + CheckSignature).
 */

const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

/** What a parsed request asks for. */
export interface ParsedCsr {
  readonly commonName: string;
  readonly organizations: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** Email and URI SANs: no Kubernetes node signer issues them. */
  readonly otherNames: readonly string[];
  readonly publicKey: KeyObject;
}

/** Builds a PEM `CERTIFICATE REQUEST` for `subject` signed with `key` (ECDSA P-256, SHA-256). */
export function buildCsrPem(
  key: KeyObject,
  subject: DistinguishedName,
  altNames: readonly string[] = [],
): string {
  const publicKey = createPublicKey(key);
  const attributes: Buffer[] = [];
  if (altNames.length) {
    const entries = altNameEntries(altNames);
    const san = sequence(oid(OID_SUBJECT_ALT_NAME), octetString(sequence(...entries)));
    attributes.push(sequence(oid(OID_EXTENSION_REQUEST), set(sequence(san))));
  }
  const info = sequence(
    unsignedInteger(Buffer.from([0])),
    encodeName(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(0, Buffer.concat(attributes)),
  );
  const algorithm = sequence(oid('1.2.840.10045.4.3.2'));
  const signature = sign('sha256', info, { key, dsaEncoding: 'der' });
  return toPem(sequence(info, algorithm, bitString(signature)), 'CERTIFICATE REQUEST');
}

function decodeOid(buf: Buffer, el: DerElement): string {
  const bytes = buf.subarray(el.start, el.end);
  const first = bytes[0] ?? 0;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (const b of bytes.subarray(1)) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

function text(buf: Buffer, el: DerElement): string {
  return buf.subarray(el.start, el.end).toString(el.tag === 0x1e ? 'utf16le' : 'utf8');
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) throw new Error('a subjectAltName IP address is neither 4 nor 16 bytes');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function readSubject(der: Buffer, name: DerElement): { commonName: string; organizations: string[] } {
  let commonName = '';
  const organizations: string[] = [];
  for (const rdn of children(der, name)) {
    for (const atv of children(der, rdn)) {
      const [type, value] = children(der, atv);
      if (!type || !value) throw new Error('malformed subject name');
      const id = decodeOid(der, type);
      if (id === OID_COMMON_NAME) commonName = text(der, value);
      else if (id === OID_ORGANIZATION) organizations.push(text(der, value));
    }
  }
  return { commonName, organizations };
}

function readAltNames(der: Buffer, attributes: DerElement | undefined) {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const otherNames: string[] = [];
  if (!attributes) return { dnsNames, ipAddresses, otherNames };
  for (const attr of children(der, attributes)) {
    const [type, values] = children(der, attr);
    if (!type || !values || decodeOid(der, type) !== OID_EXTENSION_REQUEST) continue;
    for (const exts of children(der, values)) {
      for (const ext of children(der, exts)) {
        const parts = children(der, ext);
        if (!parts[0] || decodeOid(der, parts[0]) !== OID_SUBJECT_ALT_NAME) continue;
        const value = parts[parts.length - 1]!;
        const inner = der.subarray(value.start, value.end);
        const list = readElement(inner, 0);
        for (const gn of children(inner, list)) {
          const bytes = inner.subarray(gn.start, gn.end);
          if (gn.tag === 0x82) dnsNames.push(bytes.toString('ascii'));
          else if (gn.tag === 0x87) ipAddresses.push(ipText(Buffer.from(bytes)));
          else otherNames.push(bytes.toString('ascii'));
        }
      }
    }
  }
  return { dnsNames, ipAddresses, otherNames };
}

/**
 * Parses a PEM `CERTIFICATE REQUEST` and checks its signature. Throws with the reason (the texts of
 * Go's certificates.ParseCSR / CheckSignature where they have one).
 */
export function parseCsrPem(pem: string): ParsedCsr {
  if (!/-----BEGIN CERTIFICATE REQUEST-----/.test(pem))
    throw new Error('PEM block type must be CERTIFICATE REQUEST');
  const der = fromPem(pem, 'CERTIFICATE REQUEST');
  const outer = readElement(der, 0);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new Error('asn1: structure error: not a CSR');
  const [info, algorithm, signature] = children(der, outer);
  if (!info || !algorithm || !signature || signature.tag !== 0x03)
    throw new Error('asn1: structure error: not a CSR');
  const [, name, spki, attributes] = children(der, info);
  if (!name || !spki) throw new Error('asn1: structure error: not a CSR');
  const publicKey = createPublicKey({
    key: der.subarray(spki.headerStart, spki.end),
    format: 'der',
    type: 'spki',
  });
  const [algOid] = children(der, algorithm);
  const hash = algOid && SIGNATURE_ALGORITHMS[decodeOid(der, algOid)];
  if (!hash) throw new Error('x509: cannot verify signature: algorithm unimplemented');
  const ok = verify(
    hash,
    der.subarray(info.headerStart, info.end),
    { key: publicKey, dsaEncoding: 'der' },
    der.subarray(signature.start + 1, signature.end),
  );
  if (!ok) throw new Error('x509: ECDSA verification failure');
  return {
    ...readSubject(der, name),
    ...readAltNames(der, attributes?.tag === 0xa0 ? attributes : undefined),
    publicKey,
  };
}
