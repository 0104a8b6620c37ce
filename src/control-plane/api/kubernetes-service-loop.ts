import { writeKubernetesEndpoints } from './apiserver-endpoints.js';
import {
  type ApiServerEndpoint,
  deleteApiServerLease,
  deleteStaleLease,
  LEASE_DURATION_MS,
  LeaseObserver,
  listApiServerLeases,
  renewApiServerLease,
} from './apiserver-leases.js';
import type { ApiContext } from './context.js';
import { reconcileKubernetesService } from './kubernetes-service.js';

/** Period of the controller, as kube-apiserver's endpoint reconciler interval. */
export const KUBERNETES_SERVICE_INTERVAL_MS = 10_000;

/** Timing of {@link runKubernetesServiceLoop}. */
export interface KubernetesServiceLoopOptions {
  /** Period of a pass (lease renewal, Service, Endpoints). @default 10_000 */
  readonly intervalMs?: number;
  /** How long an unrenewed lease of another API server counts as alive. @default 15_000 */
  readonly leaseDurationMs?: number;
}

/**
 * One pass, as kube-apiserver's lease endpoint reconciler: the Service; this server's lease
 * renewed; stale leases of others deleted; the Endpoints listing every live API server (this one
 * always), written only when they differ.
 */
export async function reconcileApiServerEndpoints(
  ctx: ApiContext,
  endpoint: ApiServerEndpoint,
  observer: LeaseObserver,
  leaseDurationMs = LEASE_DURATION_MS,
): Promise<ApiServerEndpoint[]> {
  await reconcileKubernetesService(ctx, endpoint);
  await renewApiServerLease(ctx, endpoint, leaseDurationMs);
  const { live, stale } = observer.observe(await listApiServerLeases(ctx));
  for (const lease of stale) {
    if (await deleteStaleLease(ctx, lease))
      ctx.events.emit({
        code: 'api.kubernetes-service.stale-lease',
        level: 'info',
        message: `API server ${lease.endpoint.address}:${lease.endpoint.port} did not renew its lease kube-system/${lease.name}: deleted it and its address from the kubernetes Endpoints`,
      });
  }
  const endpoints = [endpoint, ...live.map((l) => l.endpoint)];
  await writeKubernetesEndpoints(ctx, endpoints);
  return endpoints;
}

/**
 * Graceful stop, as upstream's RemoveEndpoints: deletes this server's lease and writes the
 * Endpoints without its address. When it is the last live one, nothing is written: upstream
 * never empties the Endpoints, and a lone master's stop must not change the store (a restore
 * plans at the last shipped revision, then stops the master); its lease expires by itself.
 */
export async function removeApiServerEndpoint(
  ctx: ApiContext,
  endpoint: ApiServerEndpoint,
  observer: LeaseObserver,
): Promise<void> {
  const same = (e: ApiServerEndpoint) => e.address === endpoint.address && e.port === endpoint.port;
  const { live } = observer.observe(await listApiServerLeases(ctx));
  const others = live.map((l) => l.endpoint).filter((e) => !same(e));
  if (others.length === 0) return;
  await deleteApiServerLease(ctx, endpoint);
  await writeKubernetesEndpoints(ctx, others);
}

/**
 * Runs {@link reconcileApiServerEndpoints} now and every `intervalMs` until the returned function
 * is called; that waits for the pass under way, then removes this server's lease and address. A
 * failed pass (or removal) becomes an `api.kubernetes-service.error` event; the next pass retries.
 */
export function runKubernetesServiceLoop(
  ctx: ApiContext,
  endpoint: ApiServerEndpoint,
  options: KubernetesServiceLoopOptions = {},
): () => Promise<void> {
  const intervalMs = options.intervalMs ?? KUBERNETES_SERVICE_INTERVAL_MS;
  const leaseDurationMs = options.leaseDurationMs ?? LEASE_DURATION_MS;
  // Wall-clock judgements (a first-seen lease's renewTime) use the API server's clock.
  const observer = new LeaseObserver(leaseDurationMs, undefined, () => ctx.now().getTime());
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const warn = (what: string, err: unknown, retry: string) =>
    ctx.events.emit({
      code: 'api.kubernetes-service.error',
      level: 'warn',
      message: `cannot ${what}: ${(err as Error).message}${retry}`,
    });
  const pass = async () => {
    if (stopped) return;
    try {
      await reconcileApiServerEndpoints(ctx, endpoint, observer, leaseDurationMs);
    } catch (err) {
      warn('reconcile the kubernetes Service', err, `; retrying in ${intervalMs / 1000} s`);
    }
    if (!stopped)
      timer = setTimeout(() => {
        running = pass();
      }, intervalMs);
  };
  running = pass();
  // Stopping waits for a pass under way, so nothing writes after the store closes.
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
    await removeApiServerEndpoint(ctx, endpoint, observer).catch((err: unknown) =>
      warn(`remove ${endpoint.address}:${endpoint.port} from the kubernetes Endpoints`, err, ''),
    );
  };
}
