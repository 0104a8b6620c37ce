import { createSign, createVerify } from 'node:crypto';
import type { ServiceAccountKeys, VerifyKey } from './keys.js';

/** Tokens larger than this are not parsed (kube-apiserver bounds request headers likewise). */
const MAX_TOKEN_BYTES = 16 * 1024;

function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function parseSegment(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function sign(alg: VerifyKey['alg']) {
  // ES256 signatures are the raw r||s pair (RFC 7518 §3.4), not DER.
  return alg === 'RS256'
    ? { algorithm: 'RSA-SHA256' }
    : { algorithm: 'SHA256', dsaEncoding: 'ieee-p1363' as const };
}

/** Signs `claims` as a compact JWS with the cluster's signing key (header `alg` and `kid`). */
export function signJwt(claims: Record<string, unknown>, keys: ServiceAccountKeys): string {
  const { alg, kid, privateKey } = keys.signing;
  const input = `${b64json({ alg, kid })}.${b64json(claims)}`;
  const how = sign(alg);
  const signer = createSign(how.algorithm);
  signer.update(input);
  const signature = signer.sign({
    key: privateKey,
    dsaEncoding: 'dsaEncoding' in how ? how.dsaEncoding : undefined,
  });
  return `${input}.${signature.toString('base64url')}`;
}

/** The payload of a compact JWS without checking anything: undefined unless it is one. */
export function peekJwtClaims(token: string): Record<string, unknown> | undefined {
  if (token.length > MAX_TOKEN_BYTES) return undefined;
  const parts = token.split('.');
  return parts.length === 3 ? parseSegment(parts[1]!) : undefined;
}

/**
 * Verifies a compact JWS against the cluster's keys: the header's `alg` must be the key's own (no
 * `none`, no algorithm switching), the `kid` when present picks the key. Returns the claims, or
 * undefined when the signature does not verify.
 */
export function verifyJwt(token: string, keys: ServiceAccountKeys): Record<string, unknown> | undefined {
  if (token.length > MAX_TOKEN_BYTES) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  const header = parseSegment(h);
  const claims = parseSegment(p);
  if (!header || !claims || !/^[A-Za-z0-9_-]+$/.test(s)) return undefined;
  const candidates = keys.verify.filter(
    (k) => k.alg === header.alg && (header.kid === undefined || header.kid === k.kid),
  );
  const signature = Buffer.from(s, 'base64url');
  for (const k of candidates) {
    const how = sign(k.alg);
    const verifier = createVerify(how.algorithm);
    verifier.update(`${h}.${p}`);
    const ok = verifier.verify(
      { key: k.key, dsaEncoding: 'dsaEncoding' in how ? how.dsaEncoding : undefined },
      signature,
    );
    if (ok) return claims;
  }
  return undefined;
}
