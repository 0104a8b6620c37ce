import type http from 'node:http';
import type https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';

/**
 * Connection hygiene for our HTTP(S) servers (API server and node agent), issue #19 finding 7:
 * Node cuts a slow request (requestTimeout) and an idle keep-alive connection, but never a
 * connection that sends no request at all, and it keeps reading a slow body after it has
 * already answered (a 401, say). These limits close both, and cap connections per client address.
 */
export interface ConnectionLimits {
  /** A TLS handshake must finish within this. @default 10_000 */
  readonly handshakeTimeoutMs?: number;
  /**
   * The request headers must arrive within this after the connection opens (or the previous
   * response ends); kube-apiserver's ReadHeaderTimeout is 32 s. @default 32_000
   */
  readonly headersTimeoutMs?: number;
  /** The whole request, body included, must arrive within this (408 otherwise). @default 60_000 */
  readonly requestTimeoutMs?: number;
  /** An idle keep-alive connection closes after this. @default 65_000 */
  readonly keepAliveTimeoutMs?: number;
  /** Open connections per client IP address; more are closed at once. @default 256 */
  readonly maxConnectionsPerClient?: number;
  /**
   * Leave loopback clients uncapped: the in-process controllers and scheduler, and on `local up`
   * every agent, reach the API server over loopback and may burst past any per-client cap; a
   * process on the machine itself could exhaust it by other means anyway. @default true
   */
  readonly exemptLoopback?: boolean;
  /** Told about each refused connection (for an event). @default none */
  readonly onRefused?: (address: string, open: number) => void;
}

/** Options for `https.createServer` / `http.createServer` that the limits need at construction. */
export function serverOptions(limits: ConnectionLimits = {}): {
  handshakeTimeout: number;
  connectionsCheckingInterval: number;
} {
  // Node checks headers and request timeouts on this interval (30 s by default): 1 s keeps the cut
  // close to the limit for the price of one pass over the open connections per second.
  return { handshakeTimeout: limits.handshakeTimeoutMs ?? 10_000, connectionsCheckingInterval: 1_000 };
}

/**
 * Applies `limits` to `server` (built with {@link serverOptions}). Long-lived requests (watches,
 * followed logs, exec) are unaffected: the timeouts bound receiving a request and idle time
 * between requests, never the response.
 */
export function guardConnections(server: http.Server | https.Server, limits: ConnectionLimits = {}): void {
  const headersTimeout = limits.headersTimeoutMs ?? 32_000;
  server.headersTimeout = headersTimeout;
  server.requestTimeout = Math.max(limits.requestTimeoutMs ?? 60_000, headersTimeout);
  server.keepAliveTimeout = limits.keepAliveTimeoutMs ?? 65_000;

  const max = limits.maxConnectionsPerClient ?? 256;
  const exempt = limits.exemptLoopback ?? true;
  const open = new Map<string, number>();
  const lastTold = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (exempt && isLoopback(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      // Told once per address per 10 s: a flood of refusals must not become a flood of log lines.
      const now = Date.now();
      if (now - (lastTold.get(address) ?? 0) > 10_000) {
        lastTold.set(address, now);
        limits.onRefused?.(address, count - 1);
      }
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) {
        open.delete(address);
        lastTold.delete(address);
      } else open.set(address, left);
    });
  });

  // The HTTP layer sees plain sockets on 'connection' and TLS sockets on 'secureConnection'.
  const waiting = new WeakMap<object, NodeJS.Timeout>();
  const startWaiting = (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), headersTimeout);
    timer.unref();
    waiting.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  };
  const requestArrived = (socket: Socket) => {
    clearTimeout(waiting.get(socket));
    waiting.delete(socket);
  };
  server.on(server instanceof tls.Server ? 'secureConnection' : 'connection', startWaiting);
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    requestArrived(req.socket);
    // Answered before the body was read (a 401, a 413): close the connection with the answer
    // instead of reading the rest of a slow body. Every handler's head goes through writeHead.
    const writeHead = res.writeHead;
    res.writeHead = function (this: http.ServerResponse, ...args: unknown[]) {
      if (!req.complete) {
        this.setHeader('Connection', 'close');
        lingerOnClose(req.socket);
      }
      return (writeHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
    } as typeof res.writeHead;
  });
  server.on('upgrade', (req: http.IncomingMessage) => requestArrived(req.socket));
}

/** How long a closing connection keeps reading (and dropping) the rest of an unread body. */
const LINGER_MS = 500;

/**
 * Node closes a `Connection: close` socket as soon as the answer is written; with body bytes still
 * unread, the kernel then sends a reset, which can destroy the answer before the client reads it
 * (the client sees ECONNRESET instead of its 401). As Go's net/http does, half-close instead: send
 * the answer and FIN, keep reading and dropping the body for a moment, then close.
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = function (this: Socket) {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}
