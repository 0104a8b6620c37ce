import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';
import { UsageError } from '../errors.js';

/** The agents the SDK's HTTP handler should use, when a proxy is configured. */
export interface ProxyAgents {
  readonly httpAgent?: HttpAgent;
  readonly httpsAgent?: HttpsAgent;
}

type ConnectionCallback = (err: Error | null, socket?: Duplex) => void;
type CreateConnection = (options: { host?: string }, callback: ConnectionCallback) => Duplex | undefined;

/**
 * `NO_PROXY` as curl and the AWS CLI read it: comma- or space-separated host names, each matching
 * itself and its subdomains (a leading dot optional), `*` for every host; ports are ignored.
 */
export function bypassesProxy(host: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return noProxy
    .split(/[\s,]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      const bare = entry.replace(/^\*?\./, '').replace(/:\d+$/, '');
      return name === bare || name.endsWith(`.${bare}`);
    });
}

function checkedProxy(url: string, variable: string): URL {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed;
  } catch {
    // reported below
  }
  throw new UsageError(
    `${variable} "${url}" is not an http(s) proxy url: use e.g. http://proxy.example:3128`,
  );
}

/**
 * Makes `agent` connect directly to hosts that `NO_PROXY` names, through the proxy otherwise.
 * The direct path is the plain https/http agent's own connection.
 */
function withNoProxy<A extends HttpAgent | HttpsAgent>(
  agent: A,
  direct: CreateConnection,
  noProxy?: string,
): A {
  if (!noProxy) return agent;
  const target = agent as unknown as { createConnection: CreateConnection };
  const viaProxy = target.createConnection.bind(agent);
  target.createConnection = (options, callback) =>
    bypassesProxy(options.host ?? '', noProxy)
      ? direct.call(agent, options, callback)
      : viaProxy(options, callback);
  return agent;
}

/**
 * Proxy agents from `HTTPS_PROXY` / `HTTP_PROXY` (either case, upper first as the AWS CLI does)
 * and `NO_PROXY`, or none when no proxy is set. Both tunnel with CONNECT, so one proxy serves
 * AWS over https and an emulator over http alike.
 */
export function proxyAgentsFromEnv(env: NodeJS.ProcessEnv): ProxyAgents {
  const httpsProxy = env.HTTPS_PROXY || env.https_proxy;
  const httpProxy = env.HTTP_PROXY || env.http_proxy;
  const noProxy = env.NO_PROXY || env.no_proxy;
  const agents: { httpAgent?: HttpAgent; httpsAgent?: HttpsAgent } = {};
  if (httpsProxy) {
    const proxy = checkedProxy(httpsProxy, 'HTTPS_PROXY');
    const direct = HttpsAgent.prototype.createConnection as unknown as CreateConnection;
    agents.httpsAgent = withNoProxy(new HttpsProxyAgent({ proxy, keepAlive: true }), direct, noProxy);
  }
  if (httpProxy) {
    const proxy = checkedProxy(httpProxy, 'HTTP_PROXY');
    const direct = HttpAgent.prototype.createConnection as unknown as CreateConnection;
    agents.httpAgent = withNoProxy(new HttpProxyAgent({ proxy, keepAlive: true }), direct, noProxy);
  }
  return agents;
}
