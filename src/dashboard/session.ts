import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The cookie that carries a dashboard session. */
export const SESSION_COOKIE = 'tugboat_dashboard';

/** Bounded: a dashboard has one user, a few tabs; older sessions are forgotten first. */
const MAX_SESSIONS = 16;

const fresh = () => randomBytes(32).toString('base64url');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The dashboard's login: one token printed in the URL, good for exactly one exchange into an
 * HttpOnly SameSite=Strict session cookie (so it is dead once the browser has used it, and a URL
 * left in a shell history or a screenshot opens nothing). Sessions live in memory only.
 */
export class DashboardSessions {
  private token: string | undefined = fresh();
  private readonly sessions: string[] = [];

  /** The one-time login token (undefined once used). */
  get loginToken(): string | undefined {
    return this.token;
  }

  /** Exchanges the login token for a new session id; undefined when the token is wrong or used. */
  exchange(token: string | null): string | undefined {
    if (!token || !this.token || !sameSecret(token, this.token)) return undefined;
    this.token = undefined;
    const id = fresh();
    this.sessions.push(id);
    if (this.sessions.length > MAX_SESSIONS) this.sessions.shift();
    return id;
  }

  /** True when the request carries a live session cookie. */
  authenticated(req: IncomingMessage): boolean {
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    return id !== undefined && this.sessions.some((s) => sameSecret(s, id));
  }

  /** The Set-Cookie header value of a session. */
  static cookie(id: string): string {
    return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Refuses requests that did not come from our own page: a Host other than the address we serve
 * (DNS rebinding), an Origin other than ours, or a browser saying the request is cross-site (CSRF).
 * Returns the reason, or undefined when the request is ours.
 */
export function foreignRequest(req: IncomingMessage, allowedHosts: readonly string[]): string | undefined {
  const host = req.headers.host ?? '';
  if (!allowedHosts.includes(host.toLowerCase())) return `host "${host}" is not this dashboard`;
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host.toLowerCase()}`) {
    return `origin "${origin}" is not this dashboard`;
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `cross-site request (${String(site)})`;
  }
  return undefined;
}
