import { timingSafeEqual } from 'node:crypto';
import type { UntypedObject } from '../../kube/index.js';
import { AUTHENTICATED_GROUP, type UserInfo } from './authenticate.js';

/**
 * Bootstrap tokens as kube-apiserver's `--enable-bootstrap-token-auth`: `Bearer <id>.<secret>`
 * is checked against the Secret `bootstrap-token-<id>` in kube-system (type
 * bootstrap.kubernetes.io/token) and authenticates as `system:bootstrap:<id>` in
 * `system:bootstrappers` plus the token's `auth-extra-groups`.
 */

/** The namespace and type of bootstrap token Secrets. */
export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
/** The group every bootstrap token user is in. */
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';

const TOKEN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const EXTRA_GROUP = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/** Reads a Secret; undefined when it does not exist. */
export type SecretLookup = (namespace: string, name: string) => Promise<UntypedObject | undefined>;

/** The token id and secret of a bearer token in bootstrap-token form, else undefined. */
export function parseBootstrapToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

function field(secret: UntypedObject, key: string): string | undefined {
  const data = (secret as { data?: Record<string, unknown> }).data;
  const v = data?.[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

/** True when the Secret's `expiration` (RFC 3339) has passed; an unparsable one counts as expired. */
export function bootstrapTokenExpired(secret: UntypedObject, now: Date): boolean {
  const expiration = field(secret, 'expiration');
  if (expiration === undefined) return false;
  const t = Date.parse(expiration);
  return Number.isNaN(t) || t <= now.getTime();
}

/**
 * Authenticates `Bearer <id>.<secret>`: undefined when the header is no bootstrap token (other
 * authenticators may know it), `null` when it is one but invalid, missing, expired or not for
 * authentication (401), else the user.
 */
export async function authenticateBootstrapToken(
  authorization: string | undefined,
  lookup: SecretLookup,
  now: Date,
): Promise<UserInfo | null | undefined> {
  if (!authorization?.startsWith('Bearer ')) return undefined;
  const token = parseBootstrapToken(authorization.slice('Bearer '.length).trim());
  if (!token) return undefined;
  const secret = await lookup(BOOTSTRAP_TOKEN_NAMESPACE, `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${token.id}`);
  if (!secret || secret.metadata?.deletionTimestamp) return null;
  if ((secret as { type?: unknown }).type !== BOOTSTRAP_TOKEN_SECRET_TYPE) return null;
  if (field(secret, 'token-id') !== token.id) return null;
  const stored = Buffer.from(field(secret, 'token-secret') ?? '');
  const given = Buffer.from(token.secret);
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) return null;
  if (bootstrapTokenExpired(secret, now)) return null;
  if (field(secret, 'usage-bootstrap-authentication') !== 'true') return null;
  const extra = (field(secret, 'auth-extra-groups') ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  if (extra.some((g) => !EXTRA_GROUP.test(g))) return null;
  return {
    name: `system:bootstrap:${token.id}`,
    groups: [...new Set([BOOTSTRAPPERS_GROUP, ...extra, AUTHENTICATED_GROUP])],
  };
}
