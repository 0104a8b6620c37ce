import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { UntypedObject } from '../../kube/index.js';
import { openAgentSocket, relayWebSocket } from './agent-websocket.js';
import type { ApiContext } from './context.js';
import { type NodeProxyOptions, nodeEndpoint } from './node-proxy.js';
import type { ResourceRequest } from './request-info.js';
import { badRequest } from './status.js';

/** kubectl 1.31+: SPDY/3.1 tunnelled in WebSocket binary messages. */
const TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
/** kubectl 1.30 and older: a plain `Upgrade: SPDY/3.1` with this stream protocol. */
const STREAM_PROTOCOL = 'portforward.k8s.io';

/**
 * pods/{name}/portforward: relays the client's SPDY session to the agent's `/portForward/{ns}/{pod}`
 * WebSocket (mutual TLS, like exec). Takes the WebSocket tunnel of kubectl 1.31+ and the direct
 * SPDY upgrade of older kubectl, whose raw bytes travel to the agent in binary messages.
 */
export async function proxyPortForward(
  ctx: ApiContext,
  info: ResourceRequest,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: NodeProxyOptions | undefined,
): Promise<void> {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  const tunnel = upgrade === 'websocket' && offered.includes(TUNNEL_PROTOCOL);
  const direct =
    upgrade === 'spdy/3.1' &&
    String(req.headers['x-stream-protocol-version'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .includes(STREAM_PROTOCOL);
  if (!tunnel && !direct)
    throw badRequest(
      `port-forward needs the WebSocket subprotocol ${TUNNEL_PROTOCOL} or an SPDY/3.1 upgrade with X-Stream-Protocol-Version ${STREAM_PROTOCOL}`,
    );
  const name = info.name ?? '';
  const pod = (await ctx.resources.mustGet(info.def, info.namespace, name)) as UntypedObject;
  const target = await nodeEndpoint(ctx, pod, name, options);
  const path = `/portForward/${encodeURIComponent(info.namespace ?? '')}/${encodeURIComponent(name)}`;
  // No subprotocol to the agent (ws refuses `/` in one): the path names the protocol.
  const upstream = await openAgentSocket(options, target, path, [], name, socket);
  if (tunnel) return relayWebSocket(upstream, req, socket, head, TUNNEL_PROTOCOL);
  relayRawSpdy(upstream, socket, head);
}

function relayRawSpdy(upstream: WebSocket, socket: Duplex, head: Buffer): void {
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${STREAM_PROTOCOL}\r\n\r\n`,
  );
  if (head.length) upstream.send(head, { binary: true });
  socket.on(
    'data',
    (b: Buffer) => upstream.readyState === upstream.OPEN && upstream.send(b, { binary: true }),
  );
  upstream.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    socket.write(
      Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data),
    );
  });
  upstream.on('close', () => socket.end());
  upstream.on('error', () => socket.destroy());
  socket.on('close', () => upstream.close());
  socket.on('error', () => upstream.terminate());
}
