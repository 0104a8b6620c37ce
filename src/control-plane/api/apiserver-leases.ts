import { isIPv4 } from 'node:net';
import type { UntypedObject } from '../../kube/index.js';
import { findResource, type ResourceDef } from '../registry/index.js';
import { isRecord } from '../registry/validation.js';
import type { ApiContext } from './context.js';
import { objectKey } from './objects.js';
import { ApiError } from './status.js';
import { createObject, updateObject } from './write.js';

/** Where clients reach one API server (an address of the `kubernetes` Service's Endpoints). */
export interface ApiServerEndpoint {
  /** IPv4 address other hosts and pods reach the API server on (kube-apiserver's --advertise-address). */
  readonly address: string;
  readonly port: number;
}

export const LEASE_NAMESPACE = 'kube-system';
/** Every API server's lease is named `tugboat-apiserver-<address>-<port>`. */
export const LEASE_PREFIX = 'tugboat-apiserver-';
/** Marks the leases of API servers (as upstream's `apiserver.kubernetes.io/identity`). */
export const LEASE_LABEL = 'tugboat.io/apiserver-endpoint';
/** As kube-apiserver's lease reconciler: a lease not renewed for this long drops out. */
export const LEASE_DURATION_MS = 15_000;
/** At most this many leases are considered, so a flood of them cannot blow up the Endpoints. */
export const MAX_API_SERVER_LEASES = 64;

const leaseDef = (): ResourceDef => findResource('coordination.k8s.io', 'v1', 'leases')!;

/** The lease name of an endpoint. Pure. */
export function apiServerLeaseName(endpoint: ApiServerEndpoint): string {
  return `${LEASE_PREFIX}${endpoint.address}-${endpoint.port}`;
}

/** The endpoint a lease name stands for, or undefined when the name is not one of ours. Pure. */
export function parseApiServerLeaseName(name: string): ApiServerEndpoint | undefined {
  if (!name.startsWith(LEASE_PREFIX)) return undefined;
  const m = /^(.+)-(\d{1,5})$/.exec(name.slice(LEASE_PREFIX.length));
  if (!m || !isIPv4(m[1]!)) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65_535 ? { address: m[1]!, port } : undefined;
}

/** The Lease an API server keeps on its endpoint. Pure. */
export function buildApiServerLease(
  endpoint: ApiServerEndpoint,
  now: Date,
  durationMs: number,
): UntypedObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: apiServerLeaseName(endpoint),
      namespace: LEASE_NAMESPACE,
      labels: { [LEASE_LABEL]: 'true' },
    },
    spec: {
      holderIdentity: `${endpoint.address}:${endpoint.port}`,
      leaseDurationSeconds: Math.max(1, Math.ceil(durationMs / 1000)),
      renewTime: microTime(now),
    },
  };
}

function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function ignoreRaces(err: unknown): void {
  if (err instanceof ApiError && ['AlreadyExists', 'Conflict', 'NotFound'].includes(err.reason)) return;
  throw err;
}

/** Creates this server's lease, or renews it (a new renewTime, so a new resourceVersion). */
export async function renewApiServerLease(
  ctx: ApiContext,
  endpoint: ApiServerEndpoint,
  durationMs = LEASE_DURATION_MS,
): Promise<void> {
  const want = buildApiServerLease(endpoint, ctx.now(), durationMs);
  const name = apiServerLeaseName(endpoint);
  const cur = await ctx.resources.get(leaseDef(), LEASE_NAMESPACE, name);
  if (!cur) {
    await createObject(ctx, leaseDef(), LEASE_NAMESPACE, want).catch(ignoreRaces);
    return;
  }
  await updateObject(ctx, leaseDef(), LEASE_NAMESPACE, name, undefined, (now) => ({
    ...now,
    metadata: { ...now.metadata, labels: { ...now.metadata?.labels, ...want.metadata?.labels } },
    spec: { ...(isRecord(now.spec) ? now.spec : {}), ...(want.spec as object) },
  })).catch(ignoreRaces);
}

/** Deletes this server's lease (graceful stop). */
export async function deleteApiServerLease(ctx: ApiContext, endpoint: ApiServerEndpoint): Promise<void> {
  await ctx.resources.delete(leaseDef(), LEASE_NAMESPACE, apiServerLeaseName(endpoint));
}

/** One API server lease as read: its endpoint and resourceVersion. */
export interface ObservedLease {
  readonly name: string;
  readonly endpoint: ApiServerEndpoint;
  readonly resourceVersion: string;
}

/**
 * The API server leases in kube-system (at most {@link MAX_API_SERVER_LEASES}). Leases with a bad
 * name, no spec or no resourceVersion are left out: anyone may write a Lease there.
 */
export async function listApiServerLeases(ctx: ApiContext): Promise<ObservedLease[]> {
  // Our names are contiguous in key order: start at the prefix and read no more than the bound.
  const page = await ctx.resources.list(leaseDef(), LEASE_NAMESPACE, {
    startKey: objectKey(leaseDef(), LEASE_NAMESPACE, LEASE_PREFIX),
    limit: MAX_API_SERVER_LEASES,
  });
  const out: ObservedLease[] = [];
  for (const lease of page.items) {
    const name = String(lease.metadata?.name ?? '');
    const endpoint = parseApiServerLeaseName(name);
    const rv = lease.metadata?.resourceVersion;
    if (!endpoint || !isRecord(lease.spec) || typeof rv !== 'string') continue;
    out.push({ name, endpoint, resourceVersion: rv });
  }
  return out;
}

/**
 * Judges leases alive on the observer's monotonic clock (masters' wall clocks may differ): a lease
 * whose resourceVersion has not changed for longer than the duration is stale; one first seen
 * counts as fresh.
 */
export class LeaseObserver {
  private readonly seen = new Map<string, { rv: string; since: number }>();

  constructor(
    private readonly durationMs = LEASE_DURATION_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Splits the leases read now into live and stale; forgets leases no longer listed. */
  observe(leases: readonly ObservedLease[]): { live: ObservedLease[]; stale: ObservedLease[] } {
    const now = this.clock();
    const live: ObservedLease[] = [];
    const stale: ObservedLease[] = [];
    const names = new Set<string>();
    for (const lease of leases) {
      names.add(lease.name);
      const prev = this.seen.get(lease.name);
      if (!prev || prev.rv !== lease.resourceVersion)
        this.seen.set(lease.name, { rv: lease.resourceVersion, since: now });
      const since = this.seen.get(lease.name)!.since;
      (now - since > this.durationMs ? stale : live).push(lease);
    }
    for (const name of [...this.seen.keys()]) if (!names.has(name)) this.seen.delete(name);
    return { live, stale };
  }
}

/** Deletes a stale lease unless it was renewed since it was read (resourceVersion precondition). */
export async function deleteStaleLease(ctx: ApiContext, lease: ObservedLease): Promise<boolean> {
  const gone = await ctx.resources.delete(
    leaseDef(),
    LEASE_NAMESPACE,
    lease.name,
    Number(lease.resourceVersion),
  );
  return gone !== undefined;
}
