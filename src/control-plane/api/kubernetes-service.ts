import type { UntypedObject } from '../../kube/index.js';
import { findResource, type ResourceDef } from '../registry/index.js';
import { isRecord } from '../registry/validation.js';
import { firstServiceIp } from './cluster-ips.js';
import type { ApiContext } from './context.js';
import { ApiError } from './status.js';
import { createObject, updateObject } from './write.js';

/** Where clients reach this API server (the `kubernetes` Service's endpoint). */
export interface ApiServerEndpoint {
  /** IPv4 address other hosts and pods reach the API server on (kube-apiserver's --advertise-address). */
  readonly address: string;
  readonly port: number;
}

const NAMESPACE = 'default';
const NAME = 'kubernetes';
/** As kube-apiserver labels its Service and Endpoints. */
const LABELS = { component: 'apiserver', provider: 'kubernetes' };

/** The `kubernetes` Service's spec, as kube-apiserver builds it. Pure. */
export function buildKubernetesServiceSpec(ctx: ApiContext, endpoint: ApiServerEndpoint) {
  const ip = firstServiceIp(ctx.serviceRange);
  return {
    type: 'ClusterIP',
    clusterIP: ip,
    clusterIPs: [ip],
    sessionAffinity: 'None',
    ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: endpoint.port }],
  };
}

/** The Endpoints of the `kubernetes` Service (never mirrored into EndpointSlices by upstream). Pure. */
export function buildKubernetesEndpoints(endpoint: ApiServerEndpoint): UntypedObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: NAME,
      namespace: NAMESPACE,
      labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
    },
    subsets: [
      {
        addresses: [{ ip: endpoint.address }],
        ports: [{ name: 'https', port: endpoint.port, protocol: 'TCP' }],
      },
    ],
  };
}

/** The EndpointSlice kube-apiserver writes next to those Endpoints (only the service-name label). Pure. */
export function buildKubernetesEndpointSlice(endpoint: ApiServerEndpoint): UntypedObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: NAME, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': NAME } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [endpoint.address], conditions: { ready: true } }],
    ports: [{ name: 'https', port: endpoint.port, protocol: 'TCP' }],
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The port fields the controller owns, in a fixed order (stored key order may differ). */
function portShape(ports: unknown): unknown {
  return Array.isArray(ports)
    ? ports.filter(isRecord).map((p) => [p.name, p.protocol, p.port, p.targetPort])
    : undefined;
}

function ignoreRaces(err: unknown): void {
  // Another API server instance (or a client) wrote it first: the next pass looks again.
  if (err instanceof ApiError && (err.reason === 'AlreadyExists' || err.reason === 'Conflict')) return;
  throw err;
}

/**
 * One pass of kube-apiserver's kubernetes-service controller: creates the `kubernetes` Service in
 * `default` (the first address of the service range, port 443 → the API server's port) and its
 * Endpoints and EndpointSlice (this server's advertised address), and puts back ports or
 * addresses someone changed.
 * Idempotent; a deleted Service or Endpoints is recreated by the next pass.
 */
export async function reconcileKubernetesService(
  ctx: ApiContext,
  endpoint: ApiServerEndpoint,
): Promise<void> {
  const svcDef = findResource('', 'v1', 'services')!;
  const epDef = findResource('', 'v1', 'endpoints')!;
  const spec = buildKubernetesServiceSpec(ctx, endpoint);
  const svc = await ctx.resources.get(svcDef, NAMESPACE, NAME);
  if (!svc) {
    await createObject(ctx, svcDef, NAMESPACE, {
      metadata: { name: NAME, labels: LABELS },
      spec,
    }).catch(ignoreRaces);
  } else if (!same(portShape(isRecord(svc.spec) ? svc.spec.ports : undefined), portShape(spec.ports))) {
    // kube-apiserver rewrites the ports and type and leaves the address (it is immutable).
    await updateObject(ctx, svcDef, NAMESPACE, NAME, undefined, (cur) => ({
      ...cur,
      spec: { ...(isRecord(cur.spec) ? cur.spec : {}), type: 'ClusterIP', ports: spec.ports },
    })).catch(ignoreRaces);
  }
  await ensureContent(ctx, epDef, buildKubernetesEndpoints(endpoint), ['subsets']);
  const sliceDef = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;
  await ensureContent(ctx, sliceDef, buildKubernetesEndpointSlice(endpoint), ['endpoints', 'ports']);
}

/** Creates `want`, or puts back its `fields` (and labels) when the stored object differs. */
async function ensureContent(
  ctx: ApiContext,
  def: ResourceDef,
  want: UntypedObject,
  fields: readonly string[],
): Promise<void> {
  const cur = await ctx.resources.get(def, NAMESPACE, NAME);
  if (!cur) {
    await createObject(ctx, def, NAMESPACE, want).catch(ignoreRaces);
    return;
  }
  if (fields.every((f) => same(cur[f], want[f]))) return;
  await updateObject(ctx, def, NAMESPACE, NAME, undefined, (now) => {
    const next: UntypedObject = {
      ...now,
      metadata: { ...now.metadata, labels: { ...now.metadata?.labels, ...want.metadata?.labels } },
    };
    for (const f of fields) next[f] = want[f];
    return next;
  }).catch(ignoreRaces);
}

/** Period of the controller, as kube-apiserver's endpoint reconciler interval. */
export const KUBERNETES_SERVICE_INTERVAL_MS = 10_000;

/**
 * Runs {@link reconcileKubernetesService} now and every `intervalMs` until the returned function
 * is called (it resolves when the pass under way has ended). A failed pass becomes an `api.kubernetes-service.error` event; the next pass retries.
 */
export function runKubernetesServiceLoop(
  ctx: ApiContext,
  endpoint: ApiServerEndpoint,
  intervalMs = KUBERNETES_SERVICE_INTERVAL_MS,
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const pass = async () => {
    if (stopped) return;
    try {
      await reconcileKubernetesService(ctx, endpoint);
    } catch (err) {
      ctx.events.emit({
        code: 'api.kubernetes-service.error',
        level: 'warn',
        message: `cannot reconcile the kubernetes Service: ${(err as Error).message}; retrying in ${intervalMs / 1000} s`,
      });
    }
    if (!stopped)
      timer = setTimeout(() => {
        running = pass();
      }, intervalMs);
  };
  running = pass();
  // Stopping waits for a pass under way, so nothing writes after the store closes.
  return () => {
    stopped = true;
    clearTimeout(timer);
    return running;
  };
}
