import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentEvents } from '../../events.js';
import type { UntypedObject } from '../../kube/index.js';
import { customResourceDefinitions } from '../apiextensions/crd-resource.js';
import type { AuthenticatorOptions } from '../auth/authenticate.js';
import type { NodeGraph } from '../auth/authorize.js';
import { ResourceCatalog } from '../registry/catalog.js';
import { allResources, findResource } from '../registry/index.js';
import { type Access, startAccess } from './access.js';
import { runBootstrapTokenCleaner } from './bootstrap-token-cleaner.js';
import { DEFAULT_SERVICE_CIDR, parseServiceRange } from './cluster-ips.js';
import type { ApiContext } from './context.js';
import { buildCustomResources } from './custom-resources.js';
import { handleResource } from './handlers.js';
import { normalizeBody, readBody, sendError, sendJson, sendJsonText } from './http.js';
import { runJoinTokenKeeper } from './join-token.js';
import { runKubernetesServiceLoop } from './kubernetes-service-loop.js';
import { serveMetrics } from './metrics-api.js';
import { type MetricsScraper, startMetricsScraper } from './metrics-scraper.js';
import { proxyNodePath } from './node-path-proxy.js';
import { proxyLog } from './node-proxy.js';
import { serveNonResource } from './nonresource.js';
import { parseRequest } from './request-info.js';
import { ResourceStore } from './resource-store.js';
import type { ApiServer, ApiServerOptions } from './server-options.js';
import { buildServiceAccounts } from './service-accounts.js';
import { buildServingServers } from './serving.js';
import { ApiError } from './status.js';
import { ensureSystemObjects } from './system-objects.js';
import { responseShape } from './table.js';
import { buildUpgradeHandler } from './upgrades.js';

export type { ApiServer, ApiServerOptions } from './server-options.js';
export type { ServingTls } from './serving.js';

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
  const ready = ensureSystemObjects(ctx)
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

  const { onUpgrade, upgraded } = buildUpgradeHandler(
    ctx,
    async () => {
      await ready;
      return access!;
    },
    options.nodeProxy,
  );

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
          {
            intervalMs: options.kubernetesServiceIntervalMs,
            leaseDurationMs: options.apiServerLeaseDurationMs,
          },
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
