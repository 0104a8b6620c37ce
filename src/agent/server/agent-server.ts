import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer } from 'ws';
import { type EventSink, silentEvents } from '../../events.js';
import { type ConnectionLimits, guardConnections, serverOptions } from '../../net/connection-guard.js';
import type { Runtime } from '../runtime/types.js';
import type { SummaryCollector } from '../stats/summary.js';
import { bridgeExec, execProtocols } from './exec-stream.js';
import { findPodContainer, findPodIp } from './find-container.js';
import { servePortForward } from './port-forward.js';

/** Options of the agent's logs/exec server. */
export interface AgentServerOptions {
  readonly runtime: Runtime;
  /**
   * The agent's serving certificate and the CA whose client certificates are accepted. Without
   * `cert`/`key` (kubelet's serverTLSBootstrap, until the CSR is issued) every handshake fails
   * until {@link AgentServer.setServingCertificate} gives them.
   */
  readonly tls: {
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
    readonly clientCa: string | Buffer;
  };
  /** Client certificate CNs allowed to call (the API server's). @default ['tugboat-apiserver'] */
  readonly allowedClientNames?: readonly string[];
  /** Serves `GET /stats/summary` (the kubelet Summary API). @default no stats: 404 */
  readonly stats?: SummaryCollector;
  /** @default silentEvents */
  readonly events?: EventSink;
  /** Handshake, header, body and idle timeouts and the per-address connection cap. @default the defaults of ConnectionLimits */
  readonly connections?: ConnectionLimits;
}

/** The agent's TLS server (not listening until the caller calls `server.listen`). */
export interface AgentServer {
  readonly server: https.Server;
  /** Serves with this certificate from the next handshake on (a bootstrapped or renewed one). */
  setServingCertificate(cert: string | Buffer, key: string | Buffer): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Builds the kubelet-compatible server the API server proxies `kubectl logs` and `kubectl exec`
 * to: `GET /containerLogs/{ns}/{pod}/{container}`, `GET /stats/summary`, WebSocket `/exec/{ns}/{pod}/{container}` and
 * WebSocket `/portForward/{ns}/{pod}` (SPDY/3.1 tunnelled, `portforward.k8s.io`).
 * Mutual TLS: only client certificates from `clientCa` with an allowed CN get in.
 */
export function buildAgentServer(options: AgentServerOptions): AgentServer {
  const events = options.events ?? silentEvents;
  const allowed = new Set(options.allowedClientNames ?? ['tugboat-apiserver']);
  const server = https.createServer({
    ...serverOptions(options.connections),
    ...(options.tls.cert && options.tls.key ? { cert: options.tls.cert, key: options.tls.key } : {}),
    ca: options.tls.clientCa,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });
  guardConnections(server, {
    ...options.connections,
    onRefused: (address, open) =>
      events.emit({
        code: 'agent.server.connection-refused',
        level: 'warn',
        message: `refused a connection from ${address}: it already has ${open} open (the limit)`,
        data: { address, open },
      }),
  });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => execProtocols.find((p) => offered.has(p)) ?? false,
  });

  const caller = (req: IncomingMessage): void => {
    const socket = req.socket as TLSSocket;
    const cn = socket.authorized ? String(socket.getPeerCertificate().subject?.CN ?? '') : '';
    if (!allowed.has(cn)) {
      throw new HttpError(
        403,
        `client certificate CN "${cn}" may not call the agent: only ${[...allowed].join(', ')}`,
      );
    }
  };

  const route = (req: IncomingMessage, kind: string) => {
    const url = new URL(req.url ?? '/', 'https://agent');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== kind || parts.length !== 4) throw new HttpError(404, `no such path ${url.pathname}`);
    return { url, namespace: parts[1] ?? '', pod: parts[2] ?? '', container: parts[3] ?? '' };
  };

  const fail = (res: ServerResponse, err: unknown) => {
    const status = err instanceof HttpError ? err.status : 500;
    if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`${err instanceof Error ? err.message : String(err)}\n`);
  };

  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    try {
      caller(req);
      if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not allowed`);
      if ((req.url ?? '').split('?')[0] === '/stats/summary') {
        if (!options.stats) throw new HttpError(404, 'this agent serves no stats');
        const body = JSON.stringify(await options.stats.summary());
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      const { url, namespace, pod, container } = route(req, 'containerLogs');
      const q = url.searchParams;
      const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
      const found = await findPodContainer(options.runtime, namespace, pod, container);
      const target = flag('previous') ? found.previous : found.current;
      if (!target) {
        const which = flag('previous') ? 'previous terminated container' : 'container';
        throw new HttpError(400, `${which} "${container}" in pod "${pod}" not found`);
      }
      const sinceTime = q.get('sinceTime');
      const sinceSeconds = q.get('sinceSeconds')
        ? Number(q.get('sinceSeconds'))
        : sinceTime
          ? Math.max(1, Math.ceil((Date.now() - Date.parse(sinceTime)) / 1000))
          : undefined;
      const abort = new AbortController();
      req.on('close', () => abort.abort());
      const stream = await options.runtime.logs(target.id, {
        follow: flag('follow'),
        tailLines: q.get('tailLines') ? Number(q.get('tailLines')) : undefined,
        sinceSeconds,
        timestamps: flag('timestamps'),
        signal: abort.signal,
      });
      res.writeHead(200, { 'content-type': 'text/plain' });
      let budget = q.get('limitBytes') ? Number(q.get('limitBytes')) : Number.POSITIVE_INFINITY;
      stream.on('data', (c: Buffer) => {
        if (budget <= 0) return;
        const chunk = c.length > budget ? c.subarray(0, budget) : c;
        budget -= chunk.length;
        res.write(chunk);
        if (budget <= 0) stream.destroy();
      });
      stream.on('end', () => res.end());
      stream.on('close', () => res.end());
      stream.on('error', () => res.end());
    } catch (err) {
      fail(res, err);
    }
  });

  server.on('upgrade', async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      caller(req);
      const forward = /^\/portForward\/([^/?]+)\/([^/?]+)(\?|$)/.exec(req.url ?? '');
      if (forward) {
        const [namespace, pod] = [decodeURIComponent(forward[1]!), decodeURIComponent(forward[2]!)];
        const host = await findPodIp(options.runtime, namespace, pod);
        if (host === undefined) throw new HttpError(404, `pod "${pod}" has no running container`);
        wss.handleUpgrade(req, socket, head, (ws) => servePortForward(ws, host, pod));
        return;
      }
      const { url, namespace, pod, container } = route(req, 'exec');
      const q = url.searchParams;
      const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
      const command = q.getAll('command');
      if (command.length === 0) throw new HttpError(400, 'exec needs at least one command parameter');
      const { current } = await findPodContainer(options.runtime, namespace, pod, container);
      if (current?.state !== 'running')
        throw new HttpError(404, `container "${container}" in pod "${pod}" is not running`);
      const session = await options.runtime.exec(current.id, {
        command,
        tty: flag('tty'),
        stdin: flag('stdin'),
      });
      wss.handleUpgrade(req, socket, head, (ws) => {
        bridgeExec(ws, session, command).then(
          (code) =>
            events.emit({
              code: 'agent.exec',
              level: 'info',
              message: `exec in ${namespace}/${pod}/${container} exited ${code}`,
              data: { code },
            }),
          () => undefined,
        );
      });
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      const text = err instanceof Error ? err.message : String(err);
      socket.end(
        `HTTP/1.1 ${status} Error\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
    }
  });

  return {
    server,
    setServingCertificate(cert, key) {
      server.setSecureContext({ cert, key, ca: options.tls.clientCa, minVersion: 'TLSv1.2' });
    },
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
