import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { UntypedObject } from '../../kube/index.js';
import { findResource } from '../registry/index.js';
import { getPath, isRecord } from '../registry/validation.js';
import type { ApiContext } from './context.js';
import type { ResourceRequest } from './request-info.js';
import { ApiError, badRequest } from './status.js';

/** How the API server reaches node agents (kubelet-compatible endpoints). */
export interface NodeProxyOptions {
  /** Client certificate the API server presents and CA that signs agents' serving certs. */
  readonly tls?: {
    readonly cert: string | Buffer;
    readonly key: string | Buffer;
    readonly ca: string | Buffer;
  };
  /** Plain HTTP to agents: tests on loopback only. @default false */
  readonly insecureHttp?: boolean;
  /** @default 10250 */
  readonly defaultPort?: number;
  /**
   * How long reaching an agent may take: connecting, TLS and its response headers (or the exec
   * handshake). Once the agent answers there is no idle limit, so `logs -f` of a quiet container
   * stays open until the client goes away or the log ends. @default 30_000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Idle time after which TCP keepalive probes start on both sides of a proxied log stream or
   * exec session, so a vanished agent or client (no FIN) still ends it. @default 30_000
   */
  readonly keepAliveMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
export const DEFAULT_KEEPALIVE_MS = 30_000;

interface Target {
  readonly host: string;
  readonly port: number;
  readonly container: string;
}

/** The agent endpoint and container of the pod a logs or exec request names. */
export async function resolveTarget(
  ctx: ApiContext,
  info: ResourceRequest,
  options: NodeProxyOptions | undefined,
): Promise<Target> {
  const name = info.name ?? '';
  const pod = await ctx.resources.mustGet(info.def, info.namespace, name);
  const containers = (getPath(pod, ['spec', 'containers']) as unknown[] | undefined) ?? [];
  const names = containers.map((c) => (isRecord(c) ? String(c.name) : ''));
  let container = info.query.get('container') ?? '';
  if (!container) {
    if (names.length !== 1)
      throw badRequest(
        `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
      );
    container = names[0]!;
  } else if (!names.includes(container)) {
    throw badRequest(
      `container ${container} is not valid for pod ${name}: choose one of: [${names.join(' ')}]`,
    );
  }
  return { ...(await nodeEndpoint(ctx, pod, name, options)), container };
}

/** The agent endpoint (node InternalIP and kubelet port) of the node `pod` is bound to. */
export async function nodeEndpoint(
  ctx: ApiContext,
  pod: UntypedObject,
  name: string,
  options: NodeProxyOptions | undefined,
): Promise<{ host: string; port: number }> {
  const nodeName = getPath(pod, ['spec', 'nodeName']);
  if (typeof nodeName !== 'string' || !nodeName)
    throw badRequest(`pod ${name} does not have a host assigned: wait until it is scheduled`);
  const node = (await ctx.resources.get(findResource('', 'v1', 'nodes')!, undefined, nodeName)) as
    | UntypedObject
    | undefined;
  if (!node) throw new ApiError(404, 'NotFound', `nodes "${nodeName}" not found`);
  return agentEndpoint(node, options);
}

/** A Node's agent endpoint: its InternalIP and kubelet port (503 while it has no InternalIP). */
export function agentEndpoint(
  node: UntypedObject,
  options: NodeProxyOptions | undefined,
): { host: string; port: number } {
  const addresses = (getPath(node, ['status', 'addresses']) as unknown[] | undefined) ?? [];
  const internal = addresses.find((a) => isRecord(a) && a.type === 'InternalIP') as
    | { address?: string }
    | undefined;
  if (!internal?.address)
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `node ${node.metadata?.name ?? ''} has no InternalIP address yet`,
    );
  const port = getPath(node, ['status', 'daemonEndpoints', 'kubeletEndpoint', 'Port']);
  return {
    host: internal.address,
    port: typeof port === 'number' && port > 0 ? port : (options?.defaultPort ?? 10250),
  };
}

/** The URL of `path` on the agent at `t`: https (or http for loopback tests), ws(s) for upgrades. */
export function agentUrl(
  options: NodeProxyOptions | undefined,
  scheme: 'http' | 'ws',
  t: { readonly host: string; readonly port: number },
  path: string,
): string {
  const secure = !options?.insecureHttp;
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${scheme}${secure ? 's' : ''}://${host}:${t.port}${path}`;
}

const LOG_PARAMS = [
  'follow',
  'tailLines',
  'sinceSeconds',
  'sinceTime',
  'previous',
  'timestamps',
  'limitBytes',
];

/** GET pods/{name}/log: streams the agent's `/containerLogs/{ns}/{pod}/{container}` answer. */
export async function proxyLog(
  ctx: ApiContext,
  info: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse,
  options: NodeProxyOptions | undefined,
): Promise<void> {
  if (info.verb !== 'get') throw new ApiError(405, 'MethodNotAllowed', 'pods/log supports GET only');
  const target = await resolveTarget(ctx, info, options);
  const query = new URLSearchParams();
  for (const p of LOG_PARAMS) {
    const v = info.query.get(p);
    if (v !== null) query.set(p, v);
  }
  const path = `/containerLogs/${encodeURIComponent(info.namespace ?? '')}/${encodeURIComponent(info.name ?? '')}/${encodeURIComponent(target.container)}?${query}`;
  await relayAgentGet(options, target, path, req, res, `pod ${info.name}`);
}

/**
 * GETs `path` from the agent at `target` and streams the answer (status and content type kept) to
 * `res`. Reaching the agent is bounded by `connectTimeoutMs`; once it answers there is no idle
 * limit (a quiet `logs -f` is healthy), keepalive probes end it if either side vanishes. Rejects
 * with a 503 naming `who` when the agent cannot be reached.
 */
export async function relayAgentGet(
  options: NodeProxyOptions | undefined,
  target: { readonly host: string; readonly port: number },
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  who: string,
): Promise<void> {
  const url = agentUrl(options, 'http', target, path);
  const keepAliveMs = options?.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
  req.socket.setKeepAlive(true, keepAliveMs);
  await new Promise<void>((resolve, reject) => {
    const client = options?.insecureHttp ? http : https;
    const upstream = client.get(
      url,
      {
        cert: options?.tls?.cert,
        key: options?.tls?.key,
        ca: options?.tls?.ca,
        timeout: options?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      },
      (up) => {
        // The agent answered: from here a quiet follow stream is healthy, not stuck.
        upstream.setTimeout(0);
        res.writeHead(up.statusCode ?? 502, {
          'Content-Type': up.headers['content-type'] ?? 'text/plain',
          'Transfer-Encoding': 'chunked',
        });
        up.pipe(res);
        up.on('end', resolve);
        up.on('error', resolve);
      },
    );
    upstream.on('socket', (socket) => socket.setKeepAlive(true, keepAliveMs));
    upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
    upstream.on('error', (err) =>
      reject(
        new ApiError(
          503,
          'ServiceUnavailable',
          `cannot reach the agent of ${who} at ${target.host}:${target.port}: ${err.message}`,
        ),
      ),
    );
    req.on('close', () => upstream.destroy());
  });
}
