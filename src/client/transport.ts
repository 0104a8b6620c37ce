import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Status } from '../kube/index.js';
import { ApiError } from './api-error.js';
import { TLS_VERIFY_CODES } from './tls-verify-codes.js';
import { closeIfIdle, dedupe, type Endpoint, endpointOf } from './transport-endpoint.js';

/** How to reach and authenticate to an API server. */
export interface TransportOptions {
  /** Base URL, e.g. `https://10.0.0.5:6443`. `http://` is accepted only for loopback with `allowInsecureLoopback`. */
  readonly server: string;
  /** PEM CA bundle. When set, only this CA is trusted (the system roots are not). @default system roots */
  readonly ca?: string | Buffer;
  /** PEM client certificate for mutual TLS. @default none */
  readonly cert?: string | Buffer;
  /** PEM private key of `cert`. @default none */
  readonly key?: string | Buffer;
  /** Bearer token, or a function returning the current one (re-read on each request). @default none */
  readonly token?: string | (() => string);
  /** Allow plain `http://` to 127.0.0.0/8 or ::1 only; for tests against a local fake. @default false */
  readonly allowInsecureLoopback?: boolean;
  /** Timeout for a non-streaming request, counted once the connection is open. @default 30_000 */
  readonly timeoutMs?: number;
  /**
   * How long opening a connection may take, streams included: a server whose address drops
   * packets (a master Elastic IP between two masters) otherwise holds a request for the kernel's
   * SYN retries, about 2 minutes. client-go's dialer uses 30 s too. @default 30_000
   */
  readonly connectTimeoutMs?: number;
  /** TLS server name to verify when `server` is an IP address the certificate does not name. @default host of `server` */
  readonly servername?: string;
  /**
   * Further API servers (the other masters), tried in turn when the current one cannot be
   * connected to; the client then stays on the one that answered. @default none
   */
  readonly failoverServers?: readonly string[];
}

/** Connection errors after which the request surely never reached the server: safe to send elsewhere. */
export const FAILOVER_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ETIMEDOUT',
  // The server's certificate failed verification during the handshake, before any byte of the
  // request left (e.g. a master's old address now serves another certificate). The certificate
  // is still refused: only the next server is tried.
  ...TLS_VERIFY_CODES,
]);

/** Most API servers one transport follows (setServers keeps the first this many). */
export const MAX_SERVERS = 16;

/** One HTTP request to the API server. */
export interface TransportRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with query string, e.g. `/api/v1/namespaces/default/pods?labelSelector=app%3Dweb`. */
  readonly path: string;
  readonly body?: unknown;
  /** @default application/json */
  readonly contentType?: string;
  /** Abort the request (and a stream) with this signal. @default none */
  readonly signal?: AbortSignal;
}

/**
 * Sends requests to an API server over keep-alive connections, failing over to the next of
 * `failoverServers` when the current one refuses or cannot be reached.
 */
export class Transport {
  private endpoints: readonly Endpoint[];
  /** Endpoints setServers dropped whose connections may still carry a request or a watch. */
  private retired: Endpoint[] = [];
  private current = 0;

  constructor(readonly options: TransportOptions) {
    this.endpoints = dedupe([options.server, ...(options.failoverServers ?? [])]).map((s) =>
      endpointOf(s, options),
    );
  }

  /** The API server requests go to now. */
  get server(): string {
    return this.endpoints[this.current]!.url.toString();
  }

  /** Every API server this transport may use, in failover order. */
  get servers(): string[] {
    return this.endpoints.map((e) => e.url.toString());
  }

  /**
   * Replaces the API servers in place (as k3s agents follow the `kubernetes` Endpoints): URLs
   * are checked as in the constructor, duplicates and invalid ones are dropped, at most
   * MAX_SERVERS are kept. A list with no valid URL is ignored (the transport never has none).
   * The current server stays current when still listed, else the first new one is. Requests in
   * flight and open watches keep their connections; a dropped server's pool is closed once idle.
   * `fallback` URLs go after them (same checks, same cap) but never keep the current server:
   * when it is listed only there, the first of `urls` takes over. Returns the invalid URLs with
   * the reason each was dropped.
   */
  setServers(
    urls: readonly string[],
    fallback: readonly string[] = [],
  ): { readonly applied: boolean; readonly rejected: string[] } {
    const rejected: string[] = [];
    const keep = new Map(this.endpoints.map((e) => [e.url.toString(), e]));
    const next: Endpoint[] = [];
    let primary = -1;
    for (const [i, raw] of [...urls, ...fallback].entries()) {
      if (i === urls.length) primary = next.length;
      if (next.length >= MAX_SERVERS) break;
      let key: string;
      try {
        key = new URL(raw).toString();
        if (next.some((e) => e.url.toString() === key)) continue;
        next.push(keep.get(key) ?? endpointOf(raw, this.options));
      } catch (err) {
        rejected.push(`${String(raw)}: ${(err as Error).message}`);
      }
    }
    if (primary < 0) primary = next.length;
    if (next.length === 0) return { applied: false, rejected };
    const now = this.server;
    const kept = new Set(next);
    for (const e of this.endpoints) if (!kept.has(e)) this.retired.push(e);
    this.endpoints = next;
    const at = next.findIndex((e) => e.url.toString() === now);
    this.current = at >= 0 && at < primary ? at : 0;
    this.retired = this.retired.filter((e) => !kept.has(e) && !closeIfIdle(e.agent));
    return { applied: true, rejected };
  }

  /** Sends a request and returns the parsed JSON body; throws ApiError on a non-2xx status. */
  async json<T>(req: TransportRequest): Promise<T> {
    const res = await this.open(req, this.options.timeoutMs ?? 30_000);
    const text = await readAll(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw apiError(req, status, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Sends a request and returns the response stream (for watch and logs); throws ApiError on a non-2xx status. */
  async stream(req: TransportRequest): Promise<IncomingMessage> {
    const res = await this.open(req, 0);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw apiError(req, status, await readAll(res));
    return res;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    for (const e of [...this.endpoints, ...this.retired]) e.agent.destroy();
    this.retired = [];
  }

  /** Opens the request on the current server, moving on to the next after a connection failure (each tried once). */
  private async open(req: TransportRequest, timeoutMs: number): Promise<IncomingMessage> {
    for (let tried = 1; ; tried++) {
      // setServers may have replaced the list since the last try: always index the list of now.
      const list = this.endpoints;
      const at = Math.min(this.current, list.length - 1);
      try {
        return await this.openAt(list[at]!, req, timeoutMs);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (!FAILOVER_CODES.has(code) || tried >= this.endpoints.length || req.signal?.aborted) throw err;
        // Another request (or setServers) may have moved on already: follow it rather than step past its choice.
        if (this.endpoints === list && this.current === at) this.current = (at + 1) % list.length;
      }
    }
  }

  private openAt(endpoint: Endpoint, req: TransportRequest, timeoutMs: number): Promise<IncomingMessage> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = typeof this.options.token === 'function' ? this.options.token() : this.options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: Buffer | undefined;
    if (req.body !== undefined) {
      payload = Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const base = endpoint.url.pathname.replace(/\/$/, '');
    return new Promise((resolve, reject) => {
      const r = endpoint.mod.request(
        {
          protocol: endpoint.url.protocol,
          hostname: endpoint.url.hostname.replace(/^\[|\]$/g, ''),
          port: endpoint.url.port || (endpoint.url.protocol === 'https:' ? 443 : 80),
          method: req.method,
          path: base + req.path,
          headers,
          agent: endpoint.agent,
          signal: req.signal,
        },
        resolve,
      );
      r.on('error', reject);
      armConnectTimeout(r, endpoint.url.host, this.options.connectTimeoutMs ?? 30_000);
      if (timeoutMs > 0) {
        r.setTimeout(timeoutMs, () =>
          r.destroy(new Error(`${req.method} ${req.path} timed out after ${timeoutMs} ms`)),
        );
      }
      r.end(payload);
    });
  }
}

/**
 * Fails a request whose connection is not open after `ms` with code ETIMEDOUT (it never reached
 * the server, so failover may send it elsewhere). Node's request timeout starts only once the
 * socket is connected, and a stream has none.
 */
function armConnectTimeout(r: http.ClientRequest, host: string, ms: number): void {
  const timer = setTimeout(() => {
    if (r.socket && !r.socket.connecting) return;
    const err: NodeJS.ErrnoException = new Error(`connecting to ${host} timed out after ${ms} ms`);
    err.code = 'ETIMEDOUT';
    r.destroy(err);
  }, ms);
  timer.unref();
  const clear = () => clearTimeout(timer);
  r.once('response', clear);
  r.once('close', clear);
  r.once('error', clear);
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function apiError(req: TransportRequest, status: number, text: string): ApiError {
  let body: Status | undefined;
  try {
    const parsed = JSON.parse(text) as Status;
    if (parsed && typeof parsed === 'object') body = parsed;
  } catch {
    body = undefined;
  }
  return new ApiError(status, body, text, `${req.method} ${req.path.split('?')[0] ?? req.path}`);
}
