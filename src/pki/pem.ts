import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { children, readElement } from './der.js';

/** Wraps DER bytes in a PEM block with 64-character lines. */
export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER bytes of the first PEM block with `label`; throws naming the label when absent. */
export function fromPem(pem: string, label: string): Buffer {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`);
  const match = re.exec(pem);
  if (!match?.[1])
    throw new Error(`no "${label}" PEM block found: pass a PEM-encoded ${label.toLowerCase()}`);
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

/** A new ECDSA P-256 key pair. */
export function generateKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/** PKCS#8 PEM of a private key (what kubectl, Go and node:tls all read). */
export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The DER of the subject Name inside a certificate (used as the issuer Name of what it signs). */
export function subjectNameDer(certDer: Buffer): Buffer {
  const cert = readElement(certDer, 0);
  const tbs = readElement(certDer, cert.start);
  const fields = children(certDer, tbs);
  // version [0] is present in every v3 certificate; subject follows serial, signature, issuer, validity.
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (!subject) throw new Error('malformed certificate: no subject name');
  return certDer.subarray(subject.headerStart, subject.end);
}

/**
 * Writes a private key (or any secret) readable by its owner only: the directory is created 0700,
 * the content goes to a 0600 temporary file first and is renamed into place, so the secret is never
 * visible with wider permissions, even when `path` already existed with other modes.
 */
export function writeKeyFile(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
