/**
 * WebSockets between a client and a node agent through the API server: pods/exec, and the
 * relay port-forward uses too.
 */
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { ApiContext } from './context.js';
import {
  agentUrl,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_MS,
  type NodeProxyOptions,
  resolveTarget,
} from './node-proxy.js';
import type { ResourceRequest } from './request-info.js';
import { ApiError, badRequest } from './status.js';

/** Stream protocols the exec bridge passes through (newest first). */
const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
/** The stand-in subprotocol token of relayWebSocket's handshake. */
const RELAY_TOKEN = 'tugboat-relay';

/**
 * pods/{name}/exec over WebSocket: opens the same stream protocol to the agent's
 * `/exec/{ns}/{pod}/{container}` and relays frames both ways until either side closes.
 */
export async function proxyExec(
  ctx: ApiContext,
  info: ResourceRequest,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: NodeProxyOptions | undefined,
): Promise<void> {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => EXEC_PROTOCOLS.includes(p));
  if (offered.length === 0)
    throw badRequest(`exec needs one of the WebSocket subprotocols ${EXEC_PROTOCOLS.join(', ')}`);
  if (info.query.getAll('command').length === 0)
    throw badRequest('you must specify at least 1 command: add ?command=...');
  const target = await resolveTarget(ctx, info, options);
  const query = new URLSearchParams();
  for (const [k, v] of info.query) if (k !== 'container') query.append(k, v);
  const path = `/exec/${encodeURIComponent(info.namespace ?? '')}/${encodeURIComponent(info.name ?? '')}/${encodeURIComponent(target.container)}?${query}`;
  const upstream = await openAgentSocket(options, target, path, offered, info.name ?? '', socket);
  relayWebSocket(upstream, req, socket, head);
}

/**
 * Opens a WebSocket to the agent at `path` offering `protocols`, over the mutual-TLS client of
 * `options`. Rejects with a 503 (unreachable) or 404 (the agent has no such pod) ApiError.
 */
export async function openAgentSocket(
  options: NodeProxyOptions | undefined,
  target: { readonly host: string; readonly port: number },
  path: string,
  protocols: readonly string[],
  podName: string,
  clientSocket: Duplex,
): Promise<WebSocket> {
  const keepAliveMs = options?.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
  if (clientSocket instanceof net.Socket) clientSocket.setKeepAlive(true, keepAliveMs);
  const upstream = new WebSocket(agentUrl(options, 'ws', target, path), [...protocols], {
    cert: options?.tls?.cert,
    key: options?.tls?.key,
    ca: options?.tls?.ca,
    handshakeTimeout: options?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    perMessageDeflate: false,
  });
  upstream.once('upgrade', (response) => response.socket.setKeepAlive(true, keepAliveMs));
  await new Promise<void>((resolve, reject) => {
    upstream.once('open', resolve);
    upstream.once('error', (err) =>
      reject(
        new ApiError(
          503,
          'ServiceUnavailable',
          `cannot reach the agent of pod ${podName} at ${target.host}:${target.port}: ${err.message}`,
        ),
      ),
    );
    upstream.once('unexpected-response', (_r, resp) =>
      reject(
        new ApiError(
          resp.statusCode === 404 ? 404 : 503,
          resp.statusCode === 404 ? 'NotFound' : 'ServiceUnavailable',
          `the agent answered with HTTP ${resp.statusCode}`,
        ),
      ),
    );
  });
  return upstream;
}

/**
 * Accepts the client's WebSocket, answering with subprotocol `protocol` (by default the one the
 * agent chose), and relays messages both ways with the agent's `upstream`.
 */
export function relayWebSocket(
  upstream: WebSocket,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocol: string = upstream.protocol,
): void {
  // ws accepts only RFC 7230 tokens as subprotocols, and kubectl's port-forward tunnel offers
  // `SPDY/3.1+portforward.k8s.io`: stand a token in for it and write the real name in the answer.
  if (protocol) req.headers['sec-websocket-protocol'] = RELAY_TOKEN;
  const bridge = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: () => (protocol ? RELAY_TOKEN : false),
  });
  bridge.on('headers', (headers) => {
    const i = headers.indexOf(`Sec-WebSocket-Protocol: ${RELAY_TOKEN}`);
    if (i >= 0) headers[i] = `Sec-WebSocket-Protocol: ${protocol}`;
  });
  bridge.handleUpgrade(req, socket, head, (client) => {
    upstream.on(
      'message',
      (data, isBinary) => client.readyState === WebSocket.OPEN && client.send(data, { binary: isBinary }),
    );
    client.on(
      'message',
      (data, isBinary) => upstream.readyState === WebSocket.OPEN && upstream.send(data, { binary: isBinary }),
    );
    upstream.on('close', (code, reason) => {
      // An agent that vanished (killed, its host gone) is 1006, a code no endpoint may send: the
      // client's connection is dropped as the agent's was (ws throws on such a code, which took
      // the whole API server down). 1005 (closed without a code) is an ordinary close.
      if (code === 1005) client.close(1000, reason);
      else if (sendableCloseCode(code)) client.close(code, reason);
      else client.terminate();
    });
    client.on('close', () => upstream.close());
    upstream.on('error', () => client.terminate());
    client.on('error', () => upstream.terminate());
  });
}

/** Close codes an endpoint may send (RFC 6455 section 7.4): 1004, 1005, 1006 and 1015 are never sent. */
export function sendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999)
  );
}
