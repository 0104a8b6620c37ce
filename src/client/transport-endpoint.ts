import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import type { TransportOptions } from './transport.js';

/** One API server of a Transport: its URL and its keep-alive connection pool. */
export interface Endpoint {
  readonly url: URL;
  readonly agent: http.Agent;
  readonly mod: typeof http | typeof https;
}

/** The servers in order, each once (by its normalised URL; an unparsable one is left for endpointOf to reject). */
export function dedupe(servers: readonly string[]): string[] {
  const seen = new Set<string>();
  return servers.filter((s) => {
    let key = s;
    try {
      key = new URL(s).toString();
    } catch {
      return true;
    }
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Destroys an agent with no connection in use (idle keep-alive ones go with it); true when it did. */
export function closeIfIdle(agent: http.Agent): boolean {
  const busy = Object.values(agent.sockets).some((list) => (list?.length ?? 0) > 0);
  if (busy) return false;
  agent.destroy();
  return true;
}

/** Checks one API server URL and makes its connection pool. */
export function endpointOf(server: string, options: TransportOptions): Endpoint {
  const url = new URL(server);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'http:') {
    const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
    if (!options.allowInsecureLoopback || !loopback) {
      throw new UsageError(
        `refusing plain http to ${server}: use https, or http to a loopback address with allowInsecureLoopback`,
      );
    }
    return { url, mod: http, agent: new http.Agent({ keepAlive: true }) };
  }
  if (url.protocol === 'https:') {
    const agent = new https.Agent({
      keepAlive: true,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      servername: options.servername ?? (isIP(host) ? undefined : host),
    });
    return { url, mod: https, agent };
  }
  throw new UsageError(`unsupported API server url ${server}: use https://host:port`);
}
