import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeClient } from '../client/client.js';
import { handleApiRoute } from './action-routes.js';
import type { DashboardAssets } from './assets.js';
import { handleCloudAction } from './cloud-actions.js';
import { type CloudActions, CloudRelay, type CloudSource } from './cloud-relay.js';
import { NAME, refuseUpgrade, status } from './http-answers.js';
import { relayLogs } from './logs.js';
import { MetricsHistory } from './metrics-history.js';
import { DashboardSessions, foreignRequest } from './session.js';
import { ShellRelays, type ShellTimings } from './shell.js';
import { openSse } from './sse.js';
import { WatchHub } from './watch-hub.js';

/** Options of {@link buildDashboardServer}. */
export interface DashboardServerOptions {
  /** The user's own client of the cluster (from their kubeconfig). */
  readonly client: KubeClient;
  /** The page: index.html, app.js, app.css (see loadDashboardAssets). */
  readonly assets: DashboardAssets;
  /** The cluster's AWS side, when it is an AWS cluster. @default none: the page shows no AWS section */
  readonly cloud?: CloudSource;
  /** What the page may do on the AWS side. @default none (404) */
  readonly cloudActions?: CloudActions;
  /** How often the AWS side is read while a page is open. @default 30_000 */
  readonly cloudRefreshMs?: number;
  /** How often node metrics are read for the charts while a page is open. @default 15_000 */
  readonly metricsIntervalMs?: number;
  /** Idle limit and heartbeat of the shells. @default 30 min, 30 s */
  readonly shellTimings?: ShellTimings;
}

/** A dashboard server, not yet listening (fastify's build-then-listen). */
export interface DashboardServer {
  readonly server: http.Server;
  readonly sessions: DashboardSessions;
  readonly shells: ShellRelays;
  /** Listens on `address:port` (0 for a free port) and returns the login URL. */
  listen(address: string, port: number): Promise<string>;
  /** Stops the watches, ends every stream and closes the listener. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/**
 * The dashboard's HTTP server: the page, a server-sent-events relay of the cluster's watches, pod
 * logs, access reviews and the actions (action-routes.ts), all with the user's own credentials. Every request
 * must come from our own origin and host; everything but the one-time login needs the session.
 */
export function buildDashboardServer(options: DashboardServerOptions): DashboardServer {
  const { client, assets } = options;
  const sessions = new DashboardSessions();
  const hub = new WatchHub(client);
  const cloud = options.cloud ? new CloudRelay(options.cloud, options.cloudRefreshMs ?? 30_000) : undefined;
  const metrics = new MetricsHistory(client, options.metricsIntervalMs ?? 15_000);
  const shells = new ShellRelays(client, options.shellTimings);
  let allowedHosts: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const foreign = foreignRequest(req, allowedHosts);
    if (foreign) return status(res, 403, 'Forbidden', `refused: ${foreign}`);
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('token')) {
      const id = sessions.exchange(url.searchParams.get('token'));
      if (!id) return status(res, 401, 'Unauthorized', 'this login token is wrong or was already used');
      res.writeHead(303, { location: '/', 'set-cookie': DashboardSessions.cookie(id) });
      res.end();
      return;
    }
    if (!sessions.authenticated(req)) {
      return status(
        res,
        401,
        'Unauthorized',
        'no dashboard session: open the URL `tugboat dashboard` printed',
      );
    }
    const asset =
      req.method === 'GET'
        ? assets.files.get(url.pathname === '/' ? '/index.html' : url.pathname)
        : undefined;
    if (asset) {
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      res.writeHead(200, {
        'content-type': asset.type,
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        vary: 'accept-encoding',
      });
      res.end(gzip ? asset.gzip : asset.body);
      return;
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /api/stream') {
      const sse = openSse(req, res);
      const unsubscribe = hub.subscribe((m) => {
        if (!sse.send(m)) unsubscribe();
      });
      const leaveCloud = cloud?.subscribe((m) => sse.send(m));
      const leaveMetrics = metrics.subscribe((m) => sse.send(m));
      void sse.closed.then(() => {
        unsubscribe();
        leaveCloud?.();
        leaveMetrics();
      });
      return;
    }
    if (route === 'GET /api/logs') {
      const namespace = url.searchParams.get('namespace') ?? '';
      const pod = url.searchParams.get('pod') ?? '';
      const container = url.searchParams.get('container') ?? undefined;
      if (!NAME.test(namespace) || !NAME.test(pod) || (container !== undefined && !NAME.test(container))) {
        return status(res, 400, 'BadRequest', 'namespace, pod and container must be Kubernetes names');
      }
      await relayLogs(client, { namespace, pod, ...(container ? { container } : {}) }, openSse(req, res));
      return;
    }
    if (route === 'POST /api/eip-assign')
      return handleCloudAction(options.cloudActions, () => cloud?.refresh(), req, res);
    if (await handleApiRoute(client, req, res, url)) return;
    return status(res, 404, 'NotFound', `${route} is not part of the dashboard`);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => status(res, 500, 'InternalError', (err as Error).message));
  });
  // The shell's WebSocket: same checks as every route, and an Origin is required (browsers always
  // send one on a WebSocket, so a missing one is not our page).
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const foreign = req.headers.origin === undefined ? 'no Origin' : foreignRequest(req, allowedHosts);
    if (foreign) return refuseUpgrade(socket, 403, 'Forbidden', `refused: ${foreign}`);
    if (!sessions.authenticated(req)) {
      return refuseUpgrade(
        socket,
        401,
        'Unauthorized',
        'no dashboard session: open the URL `tugboat dashboard` printed',
      );
    }
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (url.pathname !== '/api/shell') {
      return refuseUpgrade(socket, 404, 'NotFound', `${url.pathname} takes no WebSocket`);
    }
    const namespace = url.searchParams.get('namespace') ?? '';
    const pod = url.searchParams.get('pod') ?? '';
    const container = url.searchParams.get('container') ?? undefined;
    if (!NAME.test(namespace) || !NAME.test(pod) || (container !== undefined && !NAME.test(container))) {
      return refuseUpgrade(
        socket,
        400,
        'BadRequest',
        'namespace, pod and container must be Kubernetes names',
      );
    }
    shells.accept(req, socket, head, { namespace, pod, ...(container ? { container } : {}) });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 0;

  return {
    server,
    sessions,
    shells,
    listen(address, port) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, address, () => {
          const bound = (server.address() as AddressInfo).port;
          const host = address.includes(':') ? `[${address}]` : address;
          allowedHosts = [`${host}:${bound}`];
          if (address === '127.0.0.1' || address === '::1') allowedHosts.push(`localhost:${bound}`);
          resolve(`http://${host}:${bound}/?token=${sessions.loginToken ?? ''}`);
        });
      });
    },
    async close() {
      cloud?.stop();
      metrics.stop();
      await hub.stop();
      shells.closeAll();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
