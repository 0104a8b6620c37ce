import type { UntypedObject } from '../../kube/index.js';
import { findResource, type ResourceDef } from '../registry/index.js';
import type { ApiServerEndpoint } from './apiserver-leases.js';
import type { ApiContext } from './context.js';
import { ApiError } from './status.js';
import { createObject, updateObject } from './write.js';

const NAMESPACE = 'default';
const NAME = 'kubernetes';

/** The endpoints without duplicates, by port then address (numerically). Pure. */
function sortedUnique(endpoints: readonly ApiServerEndpoint[]): ApiServerEndpoint[] {
  const byKey = new Map(endpoints.map((e) => [`${e.address}:${e.port}`, e]));
  const ipKey = (ip: string) =>
    ip
      .split('.')
      .map((o) => o.padStart(3, '0'))
      .join('.');
  return [...byKey.values()].sort(
    (a, b) => a.port - b.port || ipKey(a.address).localeCompare(ipKey(b.address)),
  );
}

/** Subsets of the Endpoints: one per port (every master normally shares one), addresses sorted. Pure. */
function buildSubsets(endpoints: readonly ApiServerEndpoint[]) {
  const byPort = new Map<number, string[]>();
  for (const e of sortedUnique(endpoints)) byPort.set(e.port, [...(byPort.get(e.port) ?? []), e.address]);
  return [...byPort].map(([port, ips]) => ({
    addresses: ips.map((ip) => ({ ip })),
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  }));
}

/** The Endpoints of the `kubernetes` Service (never mirrored into EndpointSlices by upstream). Pure. */
export function buildKubernetesEndpoints(endpoints: readonly ApiServerEndpoint[]): UntypedObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: NAME,
      namespace: NAMESPACE,
      labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
    },
    subsets: buildSubsets(endpoints),
  };
}

/**
 * The EndpointSlice kube-apiserver writes next to those Endpoints (only the service-name label).
 * As upstream's endpointsAdapter, it carries the first subset only (one port per slice). Pure.
 */
export function buildKubernetesEndpointSlice(endpoints: readonly ApiServerEndpoint[]): UntypedObject {
  const first = buildSubsets(endpoints)[0];
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: NAME, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': NAME } },
    addressType: 'IPv4',
    endpoints: (first?.addresses ?? []).map((a) => ({ addresses: [a.ip], conditions: { ready: true } })),
    ports: first?.ports ?? [],
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function ignoreRaces(err: unknown): void {
  // Another API server instance (or a client) wrote it first: the next pass looks again.
  if (err instanceof ApiError && (err.reason === 'AlreadyExists' || err.reason === 'Conflict')) return;
  throw err;
}

/**
 * Writes the Endpoints and EndpointSlice `default/kubernetes` listing `endpoints`, only where the
 * stored content differs (a steady cluster never rewrites them). An empty list writes nothing: as
 * upstream's lease reconciler, the last API server going away never erases every endpoint.
 */
export async function writeKubernetesEndpoints(
  ctx: ApiContext,
  endpoints: readonly ApiServerEndpoint[],
): Promise<void> {
  if (endpoints.length === 0) return;
  const epDef = findResource('', 'v1', 'endpoints')!;
  await ensureContent(ctx, epDef, buildKubernetesEndpoints(endpoints), ['subsets']);
  const sliceDef = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;
  await ensureContent(ctx, sliceDef, buildKubernetesEndpointSlice(endpoints), ['endpoints', 'ports']);
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
  const labels = { ...cur.metadata?.labels, ...want.metadata?.labels };
  if (fields.every((f) => same(cur[f], want[f])) && same(labels, cur.metadata?.labels ?? {})) return;
  await updateObject(ctx, def, NAMESPACE, NAME, undefined, (now) => {
    const next: UntypedObject = {
      ...now,
      metadata: { ...now.metadata, labels: { ...now.metadata?.labels, ...want.metadata?.labels } },
    };
    for (const f of fields) next[f] = want[f];
    return next;
  }).catch(ignoreRaces);
}
