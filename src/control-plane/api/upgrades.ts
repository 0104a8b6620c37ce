import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Access } from './access.js';
import { proxyExec } from './agent-websocket.js';
import type { ApiContext } from './context.js';
import type { NodeProxyOptions } from './node-proxy.js';
import { proxyPortForward } from './port-forward.js';
import { parseRequest } from './request-info.js';
import { ApiError } from './status.js';

/** The server's `upgrade` listener and the sockets it has taken over. */
export interface UpgradeHandler {
  readonly onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Sockets taken over by exec and port-forward sessions (the HTTP server no longer tracks them). */
  readonly upgraded: ReadonlySet<Duplex>;
}

/**
 * Serves the upgrades the API accepts (pods/exec and pods/portforward, after authentication and
 * authorization); anything else, and every failure, is answered with a Status before the socket
 * closes.
 */
export function buildUpgradeHandler(
  ctx: ApiContext,
  access: () => Promise<Access>,
  nodeProxy: NodeProxyOptions | undefined,
): UpgradeHandler {
  const upgraded = new Set<Duplex>();

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const gate = await access();
    const user = await gate.userOf(req, (req.url ?? '/').split('?')[0]!);
    const info = parseRequest(ctx.catalog, 'POST', req.url ?? '/');
    if (info.kind !== 'resource' || (info.subresource !== 'exec' && info.subresource !== 'portforward'))
      throw new ApiError(400, 'BadRequest', 'only pods/exec and pods/portforward accept upgrades');
    await gate.checkResource(user, info, Buffer.alloc(0));
    if (info.subresource === 'portforward') return proxyPortForward(ctx, info, req, socket, head, nodeProxy);
    await proxyExec(ctx, info, req, socket, head, nodeProxy);
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    upgrade(req, socket, head).catch((err: unknown) => {
      const e =
        err instanceof ApiError
          ? err
          : new ApiError(500, 'InternalError', 'exec failed; see the control-plane log');
      if (!(err instanceof ApiError))
        ctx.events.emit({
          code: 'api.error',
          level: 'error',
          message: String(err),
          data: { path: (req.url ?? '').split('?')[0], stack: err instanceof Error ? err.stack : undefined },
        });
      const text = JSON.stringify(e.toStatus());
      socket.end(
        `HTTP/1.1 ${e.code} ${http.STATUS_CODES[e.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    });
  };
  return { onUpgrade, upgraded };
}
