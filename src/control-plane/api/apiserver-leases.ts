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
/**
 * How far masters' wall clocks may differ, on top of a lease's duration, when a lease is judged by
 * its `spec.renewTime` (only a lease seen for the first time, see {@link LeaseObserver}). Generous,
 * because a lease wrongly judged expired is deleted and its address leaves the Endpoints until the
 * holder's next renewal (at most 10 s later) creates it again.
 */
export const LEASE_CLOCK_SKEW_MS = 30_000;
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

/** One API server lease as read: its endpoint, resourceVersion and what its holder wrote. */
export interface ObservedLease {
  readonly name: string;
  readonly endpoint: ApiServerEndpoint;
  readonly resourceVersion: string;
  /** `spec.renewTime` in ms since the epoch, on the holder's clock. @default missing or malformed */
  readonly renewTimeMs?: number;
  /** `spec.leaseDurationSeconds` in ms. @default missing or not a positive integer */
  readonly durationMs?: number;
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

/** A Lease's renewTime (a MicroTime, RFC 3339) in ms since the epoch, or undefined. Pure. */
export function parseRenewTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

function durationOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value * 1000 : undefined;
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
    const renewTimeMs = parseRenewTime(lease.spec.renewTime);
    const durationMs = durationOf(lease.spec.leaseDurationSeconds);
    out.push({
      name,
      endpoint,
      resourceVersion: rv,
      ...(renewTimeMs !== undefined ? { renewTimeMs } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
    });
  }
  return out;
}

/**
 * Judges leases alive on the observer's monotonic clock (masters' wall clocks may differ): a lease
 * whose resourceVersion has not changed for longer than the duration is stale. A lease seen for
 * the first time (this observer just started, or the lease is new) counts as fresh, unless its
 * `renewTime` plus its duration plus {@link LEASE_CLOCK_SKEW_MS} is already past on the observer's
 * wall clock: then it is stale at once, so an API server that restarts does not list a master
 * that died long before for one more lease duration. (Upstream's leases live in etcd with a TTL,
 * so a restarted kube-apiserver never lists an expired master.) A renewTime in the future never
 * makes a lease stale; without a usable renewTime a first-seen lease is fresh.
 */
export class LeaseObserver {
  private readonly seen = new Map<string, { rv: string; since: number; expired: boolean }>();

  constructor(
    private readonly durationMs = LEASE_DURATION_MS,
    private readonly clock: () => number = () => performance.now(),
    private readonly wallClock: () => number = () => Date.now(),
  ) {}

  /** Splits the leases read now into live and stale; forgets leases no longer listed. */
  observe(leases: readonly ObservedLease[]): { live: ObservedLease[]; stale: ObservedLease[] } {
    const now = this.clock();
    const wallNow = this.wallClock();
    const live: ObservedLease[] = [];
    const stale: ObservedLease[] = [];
    const names = new Set<string>();
    for (const lease of leases) {
      names.add(lease.name);
      let entry = this.seen.get(lease.name);
      if (!entry || entry.rv !== lease.resourceVersion) {
        // A changed resourceVersion is a renewal seen here: alive whatever its renewTime says.
        entry = { rv: lease.resourceVersion, since: now, expired: !entry && this.expired(lease, wallNow) };
        this.seen.set(lease.name, entry);
      }
      (entry.expired || now - entry.since > this.durationMs ? stale : live).push(lease);
    }
    for (const [name, entry] of [...this.seen]) {
      // One judged expired by its renewTime is remembered for a lease duration after it went (it
      // was deleted): if its holder is alive with a clock far behind, the lease it creates again
      // is then a renewal, not a first sight judged by that clock again and again.
      const recent = entry.expired && now - entry.since <= this.durationMs;
      if (!names.has(name) && !recent) this.seen.delete(name);
    }
    return { live, stale };
  }

  /** Whether a lease's own renewTime says it ran out, with room for clock skew. */
  private expired(lease: ObservedLease, wallNow: number): boolean {
    if (lease.renewTimeMs === undefined) return false;
    return lease.renewTimeMs + (lease.durationMs ?? this.durationMs) + LEASE_CLOCK_SKEW_MS < wallNow;
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
