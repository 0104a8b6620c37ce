import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** Who is calling: user name and groups (CN and O of a client certificate, or a token's entry). */
export interface UserInfo {
  readonly name: string;
  readonly groups: readonly string[];
  /** Set for impersonated users (`Impersonate-Uid`). @default none */
  readonly uid?: string;
  /** Extra attributes of impersonated users (`Impersonate-Extra-<key>`). @default none */
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The group every authenticated user is in (kube-apiserver adds it to every request's user). */
export const AUTHENTICATED_GROUP = 'system:authenticated';

function withAuthenticated(user: UserInfo): UserInfo {
  return user.groups.includes(AUTHENTICATED_GROUP)
    ? user
    : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}

/** How requests authenticate besides client certificates. */
export interface AuthenticatorOptions {
  /** Bearer tokens and their users (from --token-auth-file). @default none */
  readonly tokens?: ReadonlyMap<string, UserInfo>;
  /**
   * Treat requests without credentials as this user. Only for the explicit insecure loopback
   * test mode. @default undefined (anonymous requests are rejected with 401)
   */
  readonly anonymousUser?: UserInfo;
  /**
   * Asynchronous bearer-token authenticators tried in order after the token file (service-account
   * tokens, bootstrap tokens), each in its own file of auth/. @default none
   */
  readonly bearerAuthenticators?: readonly BearerAuthenticator[];
  /**
   * The audiences this server's own tokens are for (--api-audiences): what a TokenReview without
   * `spec.audiences` checks, and the implicit audiences of audience-agnostic tokens. @default none
   */
  readonly apiAudiences?: readonly string[];
}

/** A user from a token, with the audiences the token was checked against (audience-aware tokens only). */
export type TokenUser = UserInfo & { readonly audiences?: readonly string[] };

/** A token of an authenticator's kind that is not valid, and why (the why goes to TokenReview and events only). */
export interface TokenRejection {
  readonly rejected: string;
}

/**
 * Authenticates a bearer token it recognizes: the user, a rejection when the token is its kind but
 * invalid (the request then gets 401 at once), or undefined when the token is not its kind.
 * Audience-aware authenticators check the token against `audiences` when given (a TokenReview's
 * `spec.audiences`), else against the server's own.
 */
export type BearerAuthenticator = (
  token: string,
  audiences?: readonly string[],
) => Promise<TokenUser | TokenRejection | undefined>;

/** Whether an authenticator's answer is a rejection. */
export function isRejection(v: TokenUser | TokenRejection | undefined): v is TokenRejection {
  return v !== undefined && 'rejected' in v;
}

/**
 * A bearer token through the token file, then the asynchronous authenticators in order: the first
 * that knows the token decides. Undefined when none knows it.
 */
export async function authenticateToken(
  token: string,
  options: AuthenticatorOptions,
  audiences?: readonly string[],
): Promise<TokenUser | TokenRejection | undefined> {
  for (const [known, user] of options.tokens ?? [])
    if (sameToken(known, token)) return withAuthenticated(user);
  for (const authenticator of options.bearerAuthenticators ?? []) {
    const found = await authenticator(token, audiences);
    if (found !== undefined) return isRejection(found) ? found : withAuthenticated(found);
  }
  return undefined;
}

/** The bearer token of a request, if it has one. */
export function bearerTokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

/**
 * {@link authenticate}, then the asynchronous bearer authenticators when the token file does not
 * know the request's token.
 */
export async function authenticateRequest(
  req: IncomingMessage,
  options: AuthenticatorOptions,
): Promise<UserInfo | undefined> {
  const user = authenticate(req, options);
  if (user) return user;
  const token = bearerTokenOf(req);
  if (!token) return undefined;
  for (const authenticator of options.bearerAuthenticators ?? []) {
    const found = await authenticator(token);
    if (found === undefined) continue;
    if (isRejection(found)) return undefined;
    const { audiences: _audiences, ...user } = found;
    return withAuthenticated(user);
  }
  return undefined;
}

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authenticates a request: a client certificate verified against the client CA (CN = user,
 * every O = a group), else a bearer token from the token file; the user is then also in
 * `system:authenticated`. Returns undefined when neither works.
 */
export function authenticate(req: IncomingMessage, options: AuthenticatorOptions): UserInfo | undefined {
  const socket = req.socket as TLSSocket;
  if (socket.encrypted && socket.authorized) {
    const cert = socket.getPeerCertificate();
    const cn = cert?.subject?.CN;
    if (typeof cn === 'string' && cn) return withAuthenticated({ name: cn, groups: asList(cert.subject.O) });
  }
  const token = bearerTokenOf(req);
  if (token !== undefined && (options.tokens || options.bearerAuthenticators)) {
    for (const [known, user] of options.tokens ?? [])
      if (sameToken(known, token)) return withAuthenticated(user);
    return undefined;
  }
  return options.anonymousUser && withAuthenticated(options.anonymousUser);
}
