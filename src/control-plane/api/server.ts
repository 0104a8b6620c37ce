import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type EventSink, silentEvents } from '../../events.js';
import type { UntypedObject } from '../../kube/index.js';
import { buildLocalPathClass } from '../../kube/local-path.js';
import type { ConnectionLimits } from '../../net/connection-guard.js';
import { customResourceDefinitions } from '../apiextensions/crd-resource.js';
import type { AuthenticatorOptions } from '../auth/authenticate.js';
import type { NodeGraph } from '../auth/authorize.js';
import { ResourceCatalog } from '../registry/catalog.js';
import { allResources, findResource } from '../registry/index.js';
import type { Store } from '../store/types.js';
import { type Access, startAccess } from './access.js';
import { runBootstrapTokenCleaner } from './bootstrap-token-cleaner.js';
import { DEFAULT_SERVICE_CIDR, parseServiceRange } from './cluster-ips.js';
import type { ApiContext } from './context.js';
import { buildCustomResources } from './custom-resources.js';
import { handleResource } from './handlers.js';
import { normalizeBody, readBody, sendError, sendJson, sendJsonText } from './http.js';
import { runJoinTokenKeeper } from './join-token.js';
import { runKubernetesServiceLoop } from './kubernetes-service.js';
import { serveMetrics } from './metrics-api.js';
import { type MetricsScraper, type MetricsScraperOptions, startMetricsScraper } from './metrics-scraper.js';
import { proxyNodePath } from './node-path-proxy.js';
import { type NodeProxyOptions, proxyExec, proxyLog } from './node-proxy.js';
import { serveNonResource } from './nonresource.js';
import { proxyPortForward } from './port-forward.js';
import { parseRequest } from './request-info.js';
import { ResourceStore } from './resource-store.js';
import { buildServiceAccounts, type ServiceAccountTokenOptions } from './service-accounts.js';
import { buildServingServers, type ServingTls } from './serving.js';
import { ApiError } from './status.js';
import { responseShape } from './table.js';
import { createObject, ensureDefaultServiceAccount } from './write.js';

/** Dependencies and settings of {@link buildApiServer}. */
export interface ApiServerOptions {
  readonly store: Store;
  /** Serve HTTPS with these. Required unless `insecureLoopbackHttp`. */
  readonly tls?: ServingTls;
  /** Plain HTTP where every unauthenticated request is an admin: tests on loopback only. @default false */
  readonly insecureLoopbackHttp?: boolean;
  /** Bearer tokens (from --token-auth-file). @default none */
  readonly tokens?: AuthenticatorOptions['tokens'];
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** @default silentEvents */
  readonly events?: EventSink;
  /** The Kubernetes minor version reported by /version (kubectl picks its binary by it). @default '32' */
  readonly minorVersion?: string;
  /** Larger request bodies answer 413. @default 3 MiB */
  readonly maxBodyBytes?: number;
  /** Larger objects answer 413. @default 1.5 MiB */
  readonly maxObjectBytes?: number;
  /** @default 30_000 */
  readonly bookmarkIntervalMs?: number;
  /** Watches without timeoutSeconds end after 1–2× this. @default 1800 */
  readonly minWatchTimeoutSeconds?: number;
  /** How to reach node agents for pods/log and pods/exec. @default agents on port 10250 without client TLS */
  readonly nodeProxy?: NodeProxyOptions;
  /**
   * Handshake, header, body and idle timeouts and the per-address connection cap
   * (docs/api-limits.md). @default the defaults of ConnectionLimits
   */
  readonly connections?: ConnectionLimits;
  /** kube-apiserver's --service-cluster-ip-range: where Services get their cluster IPs. @default '10.96.0.0/12' */
  readonly serviceClusterIpRange?: string;
  /**
   * Keep the `kubernetes` Service and its Endpoints (this address, the port the server listens on)
   * in `default`, as kube-apiserver does with --advertise-address. @default off
   */
  readonly advertiseAddress?: string;
  /**
   * Scrape the agents' `/stats/summary` through `nodeProxy` and serve metrics.k8s.io (`kubectl
   * top`), as metrics-server does. Off by default: a scraper connects to every Ready node's
   * InternalIP. @default off
   */
  readonly metrics?: Omit<MetricsScraperOptions, 'nodeProxy'>;
  /**
   * The cluster's join token (`<id>.<secret>`): its bootstrap token Secret is kept in kube-system
   * (see join-token.ts). @default none
   */
  readonly joinToken?: string;
  /** Period of the expired bootstrap token cleaner. @default 10_000 */
  readonly bootstrapTokenCleanerIntervalMs?: number;
  /** Period of the CustomResourceDefinition resync (writes through this server sync at once). @default 5000 */
  readonly customResourceResyncMs?: number;
  /** Period of the `kubernetes` Service controller. @default 10_000 */
  readonly kubernetesServiceIntervalMs?: number;
  /**
   * Service-account tokens: TokenRequest, their authenticator, issuer discovery and the pod
   * admission that mounts them (docs/service-accounts.md). @default off
   */
  readonly serviceAccounts?: ServiceAccountTokenOptions;
}

/** A built (not listening) API server. */
export interface ApiServer {
  readonly server: http.Server | https.Server;
  /** Resolves once the default namespaces exist; requests wait for it. */
  readonly ready: Promise<void>;
  /**
   * Graceful stop: no new connections, idle keep-alive connections and open watches end at once,
   * in-flight requests get up to `graceMs` (default 10 s) to finish. Does not close the store.
   */
  close(graceMs?: number): Promise<void>;
}

export type { ServingTls } from './serving.js';

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * Builds the Kubernetes-compatible API server over `store` (fastify-style: it never listens;
 * src/control-plane/main.ts does). Every error is answered with a Status object.
 */
export function buildApiServer(options: ApiServerOptions): ApiServer {
  if (!options.tls && !options.insecureLoopbackHttp) {
    throw new ApiError(
      500,
      'InternalError',
      'the API server needs TLS (cert and key) unless insecureLoopbackHttp is set for tests',
    );
  }
  const ctx: ApiContext = {
    serviceRange: parseServiceRange(options.serviceClusterIpRange ?? DEFAULT_SERVICE_CIDR),
    catalog: new ResourceCatalog([...allResources, customResourceDefinitions]),
    resources: new ResourceStore(options.store, { maxObjectBytes: options.maxObjectBytes }),
    now: options.clock ?? (() => new Date()),
    events: options.events ?? silentEvents,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 30_000,
    minWatchTimeoutSeconds: options.minWatchTimeoutSeconds ?? 1800,
    watches: new Set(),
  };
  const serviceAccounts = options.serviceAccounts && buildServiceAccounts(ctx, options.serviceAccounts);
  const authn: AuthenticatorOptions = {
    tokens: options.tokens,
    bearerAuthenticators: [serviceAccounts?.authenticator].filter((a) => a !== undefined),
    apiAudiences: serviceAccounts?.apiAudiences,
    anonymousUser: options.insecureLoopbackHttp
      ? { name: 'system:admin', groups: ['system:masters'] }
      : undefined,
  };
  const minor = options.minorVersion ?? '32';
  const maxBodyBytes = options.maxBodyBytes ?? 3 * 1024 * 1024;
  const podsDef = findResource('', 'v1', 'pods')!;
  const graph: NodeGraph = {
    podNode: async (namespace, name) => {
      const pod = await ctx.resources.get(podsDef, namespace, name);
      const spec = pod?.spec as { nodeName?: string } | undefined;
      return spec?.nodeName;
    },
    pods: async (namespace) => (await ctx.resources.list(podsDef, namespace)).items,
    volume: (name) => ctx.resources.get(findResource('', 'v1', 'persistentvolumes')!, undefined, name),
  };
  let isReady = false;
  let access: Access | undefined;
  const crds = buildCustomResources(ctx);
  const ready = bootstrap(ctx)
    .then(() => crds.sync())
    .then(() => serviceAccounts?.publishRootCa())
    .then(() => startAccess(ctx, authn, graph, ctx.events))
    .then((a) => {
      access = a;
      isReady = true;
    });
  ready.catch(() => {});
  let stopTokenCleaner: (() => Promise<void>) | undefined;
  let stopJoinToken: (() => Promise<void>) | undefined;
  let scraper: MetricsScraper | undefined;
  let closing = false;
  ready.then(
    () => {
      if (closing) return;
      stopTokenCleaner = runBootstrapTokenCleaner(ctx, options.bootstrapTokenCleanerIntervalMs);
      if (options.joinToken) stopJoinToken = runJoinTokenKeeper(ctx, options.joinToken);
      crds.start(options.customResourceResyncMs);
      if (options.metrics)
        scraper = startMetricsScraper(ctx, { ...options.metrics, nodeProxy: options.nodeProxy }, ctx.events);
    },
    () => {},
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await ready;
    const path = (req.url ?? '/').split('?')[0]!;
    const user = await access!.userOf(req, path).catch((err: unknown) => {
      req.resume();
      throw err;
    });
    const info = parseRequest(ctx.catalog, req.method ?? 'GET', req.url ?? '/');
    if (info.kind === 'nonresource') {
      await access!.checkPath(user, req.method ?? 'GET', info.path);
      const issuerDocument = serviceAccounts?.discovery(info.path);
      if (issuerDocument) return sendJson(res, 200, issuerDocument);
      const storeReadiness = info.path === '/readyz' ? await options.store.readiness?.() : undefined;
      serveNonResource(req, res, info.path, {
        minor,
        ready: isReady,
        catalog: ctx.catalog,
        ...(storeReadiness ? { storeReadiness } : {}),
      });
      return;
    }
    const body = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method ?? '')
      ? await readBody(req, { maxBytes: maxBodyBytes })
      : Buffer.alloc(0);
    let json = req.method === 'PATCH' ? body : await normalizeBody(req.headers['content-type'], body);
    await access!.checkResource(user, info, json);
    if (info.subresource === 'token') {
      if (!serviceAccounts)
        throw new ApiError(
          404,
          'NotFound',
          'serviceaccounts/token is off: start the server with --service-account-signing-key-file',
        );
      return sendJson(res, 201, await serviceAccounts.tokenRequest(user, info, json));
    }
    if (serviceAccounts && info.def.plural === 'pods' && info.verb === 'create' && !info.subresource)
      json = await serviceAccounts.admitPod(info, json);
    if (access!.isReview(info)) return sendJson(res, 201, await access!.answerReview(user, info, json));
    if (info.subresource === 'log') return proxyLog(ctx, info, req, res, options.nodeProxy);
    if (info.subresource === 'proxy') return proxyNodePath(ctx, info, req, res, options.nodeProxy);
    if (info.def.group === 'metrics.k8s.io')
      return serveMetrics(ctx, info, res, scraper, responseShape(req.headers.accept));
    if (info.subresource === 'exec')
      throw new ApiError(
        400,
        'BadRequest',
        'pods/exec needs a WebSocket upgrade (v5.channel.k8s.io or v4.channel.k8s.io): use kubectl 1.30 or newer',
      );
    if (info.subresource === 'portforward')
      throw new ApiError(
        400,
        'BadRequest',
        'pods/portforward needs an upgrade: SPDY/3.1 or a WebSocket with SPDY/3.1+portforward.k8s.io',
      );
    const reply = await handleResource({
      ctx,
      info,
      req,
      res,
      shape: responseShape(req.headers.accept),
      body: json,
      admit: access!.admission(user, info),
      authorizeCreate: () => access!.checkResource(user, { ...info, verb: 'create' }, json),
    });
    await access!.afterWrite(info);
    // The resource of a CRD is served (or gone) once its write is answered.
    if (info.def === customResourceDefinitions && !['get', 'list', 'watch'].includes(info.verb))
      await crds.sync();
    if (info.def.plural === 'namespaces' && info.verb === 'create' && reply?.code === 201)
      await serviceAccounts?.publishRootCa(String((reply.body as UntypedObject).metadata?.name));
    if (reply?.json !== undefined) sendJsonText(res, reply.code, reply.json);
    else if (reply) sendJson(res, reply.code, reply.body);
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof ApiError) return sendError(res, err);
      ctx.events.emit({
        code: 'api.error',
        level: 'error',
        message: err instanceof Error ? err.message : String(err),
        // The path only: exec commands travel in the query and may carry secrets.
        data: {
          method: req.method,
          path: (req.url ?? '').split('?')[0],
          stack: err instanceof Error ? err.stack : undefined,
        },
      });
      sendError(
        res,
        new ApiError(500, 'InternalError', 'an internal error occurred; see the control-plane log'),
      );
    });
  };

  /** Sockets taken over by WebSocket exec sessions (the HTTP server no longer tracks them). */
  const upgraded = new Set<Duplex>();
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

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    await ready;
    const user = await access!.userOf(req, (req.url ?? '/').split('?')[0]!);
    const info = parseRequest(ctx.catalog, 'POST', req.url ?? '/');
    if (info.kind !== 'resource' || (info.subresource !== 'exec' && info.subresource !== 'portforward'))
      throw new ApiError(400, 'BadRequest', 'only pods/exec and pods/portforward accept upgrades');
    await access!.checkResource(user, info, Buffer.alloc(0));
    if (info.subresource === 'portforward')
      return proxyPortForward(ctx, info, req, socket, head, options.nodeProxy);
    await proxyExec(ctx, info, req, socket, head, options.nodeProxy);
  }

  const { server, legacy } = buildServingServers({
    tls: options.tls,
    connections: options.connections,
    events: ctx.events,
    onRequest,
    onUpgrade,
  });
  let stopKubernetesService: (() => Promise<void>) | undefined;
  const advertise = options.advertiseAddress;
  if (advertise !== undefined) {
    // The Endpoints carry the port actually bound (a test may listen on port 0).
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      void ready.then(() => {
        if (!server.listening) return;
        stopKubernetesService = runKubernetesServiceLoop(
          ctx,
          { address: advertise, port },
          options.kubernetesServiceIntervalMs,
        );
      });
    });
  }
  return {
    server,
    ready,
    close: async (graceMs = 10_000) => {
      closing = true;
      const passDone = Promise.all([
        stopKubernetesService?.(),
        stopTokenCleaner?.(),
        stopJoinToken?.(),
        crds.stop(),
        scraper?.stop(),
      ]);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await access?.stop();
      for (const end of [...ctx.watches]) end();
      // Connections turn idle as their last response ends; close them as they do.
      const closeIdle = () => {
        server.closeIdleConnections();
        legacy?.closeIdleConnections();
      };
      const sweep = setInterval(closeIdle, 50);
      closeIdle();
      const timer = setTimeout(() => {
        server.closeAllConnections();
        legacy?.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }, graceMs);
      await closed;
      await passDone;
      clearInterval(sweep);
      clearTimeout(timer);
    },
  };
}

async function bootstrap(ctx: ApiContext): Promise<void> {
  const nsDef = findResource('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    if (!(await ctx.resources.get(nsDef, undefined, name))) {
      await createObject(ctx, nsDef, undefined, { metadata: { name } }).catch((err: unknown) => {
        if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      });
    }
    await ensureDefaultServiceAccount(ctx, name);
  }
  await ensureLocalPathClass(ctx);
}

/**
 * Creates the default `local-path` StorageClass when no class of that name exists (an admin may
 * change which class is the default by annotation; a deleted class comes back at the next start).
 */
async function ensureLocalPathClass(ctx: ApiContext): Promise<void> {
  const def = findResource('storage.k8s.io', 'v1', 'storageclasses')!;
  const cls = buildLocalPathClass();
  if (await ctx.resources.get(def, undefined, cls.metadata.name ?? '')) return;
  await createObject(ctx, def, undefined, cls as unknown as UntypedObject).catch((err: unknown) => {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  });
}
