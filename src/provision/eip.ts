import type { CloudFormationApi } from '../aws/cloudformation.js';
import type { Ec2Address, Ec2Api } from '../aws/ec2.js';
import { AwsCallError } from '../aws/errors.js';
import { CLUSTER_TAG, clusterFilter, POOL_TAG, type Tags, tagsFromList } from '../aws/types.js';
import { DeploymentError, UsageError } from '../errors.js';
import type { EventSink } from '../events.js';
import { type ClusterInstancesOptions, type Host, listClusterInstances } from './cluster-instances.js';
import { throwIfAborted } from './wait.js';

/** An address of the cluster's EIP pool. */
export interface PoolAddress {
  readonly allocationId: string;
  readonly publicIp: string;
  /** Value of the `tugboat:pool` tag (a group name reserves it for that group). */
  readonly pool: string;
  readonly instanceId?: string;
  readonly associationId?: string;
}

function toPool(a: Ec2Address): PoolAddress {
  return {
    allocationId: a.allocationId,
    publicIp: a.publicIp,
    pool: a.tags[POOL_TAG] ?? '',
    ...(a.instanceId ? { instanceId: a.instanceId } : {}),
    ...(a.associationId ? { associationId: a.associationId } : {}),
  };
}

/** Every address tagged `tugboat:cluster=<name>`, sorted by allocation id. */
export async function listPool(ec2: Ec2Api, cluster: string): Promise<PoolAddress[]> {
  const all = await ec2.describeAddresses([clusterFilter(cluster)]);
  return all
    .filter((a) => a.tags[CLUSTER_TAG] === cluster)
    .map(toPool)
    .sort((a, b) => a.allocationId.localeCompare(b.allocationId));
}

/**
 * Tags the stack's AWS::EC2::EIP resources with the tags their template declares, when the
 * deployment did not (moto ignores Tags on EIPs). Idempotent; a no-op on real AWS.
 */
export async function ensurePoolTags(options: {
  readonly cfn: CloudFormationApi;
  readonly ec2: Ec2Api;
  readonly stackName: string;
  readonly template: object;
  readonly cluster: string;
}): Promise<number> {
  const declared = (
    options.template as { Resources?: Record<string, { Type?: string; Properties?: { Tags?: [] } }> }
  ).Resources;
  const eips = (await options.cfn.describeStackResources(options.stackName)).filter(
    (r) => r.resourceType === 'AWS::EC2::EIP' && r.physicalId,
  );
  if (eips.length === 0) return 0;
  const addresses = await options.ec2.describeAddresses([]);
  let tagged = 0;
  for (const r of eips) {
    const a = addresses.find((x) => x.publicIp === r.physicalId || x.allocationId === r.physicalId);
    if (!a || a.tags[CLUSTER_TAG] === options.cluster) continue;
    const tags: Tags = {
      ...tagsFromList(declared?.[r.logicalId]?.Properties?.Tags),
      [CLUSTER_TAG]: options.cluster,
    };
    await options.ec2.createTags([a.allocationId], tags);
    tagged++;
  }
  return tagged;
}

/** Options of `assignEips`. */
export interface AssignEipsOptions extends ClusterInstancesOptions {
  readonly events: EventSink;
  readonly signal?: AbortSignal;
  /** Only hosts of this group. @default the groups whose spec says `eip: true` */
  readonly group?: string;
  /** Only this instance. */
  readonly instanceId?: string;
  /** Only these groups (create passes the spec's groups with `eip: true`). @default read from the `tugboat:eip` tag */
  readonly groups?: readonly string[];
  /** Attempts per host when another client takes the address first. @default 5 */
  readonly attempts?: number;
}

/** What `assignEips` did. */
export interface AssignEipsResult {
  readonly assigned: readonly {
    readonly instanceId: string;
    readonly publicIp: string;
    readonly allocationId: string;
  }[];
  /** Hosts that already had an EIP (idempotent re-runs land here). */
  readonly alreadyAssigned: readonly string[];
}

const RACE_CODES = ['Resource.AlreadyAssociated', 'InvalidAddress.InUse', 'InvalidIPAddress.InUse'];

/**
 * Pool `master` is the master's own address, pool `workers` serves every worker group, and any
 * other pool value reserves the address for the group of that name.
 */
function usableBy(a: PoolAddress, host: Host): boolean {
  if (a.instanceId || a.associationId) return false;
  if (a.pool === 'master') return host.role === 'master';
  if (a.pool === 'workers' || a.pool === '' || a.pool === 'any') return host.role === 'worker';
  return a.pool === host.group;
}

/**
 * Associates free pool EIPs with the chosen hosts, with AllowReassociation=false so an address
 * in use is never stolen; on a race it re-reads the pool and tries another address. Hosts that
 * already have an EIP are left alone, so re-running is safe.
 */
export async function assignEips(options: AssignEipsOptions): Promise<AssignEipsResult> {
  const inv = await listClusterInstances(options);
  if (options.group && !inv.groups.some((g) => g.name === options.group)) {
    const known = inv.groups.map((g) => g.name).join(', ') || 'none';
    throw new UsageError(
      `group "${options.group}" not found in cluster ${options.cluster}: groups are ${known}`,
    );
  }
  // No explicit choice: the groups whose spec says `eip: true`, read from their ASG's tag.
  const wanted = options.groups ?? inv.groups.filter((g) => g.eip).map((g) => g.name);
  if (!options.instanceId && !options.group && wanted.length === 0) {
    throw new UsageError(
      `no group of cluster ${options.cluster} has eip: true: set eip: true on a worker group in the cluster spec and run \`tugboat update\`, or name one with --group or --instance`,
    );
  }
  const targets = inv.hosts.filter((h) =>
    options.instanceId
      ? h.id === options.instanceId
      : options.group
        ? h.group === options.group
        : wanted.includes(h.group),
  );
  if (options.instanceId && targets.length === 0) {
    throw new UsageError(
      `instance ${options.instanceId} is not part of cluster ${options.cluster}: see \`tugboat status\``,
    );
  }
  await releaseStaleAssociations(options.ec2, options.cluster, inv.hosts, options.events);
  const assigned: { instanceId: string; publicIp: string; allocationId: string }[] = [];
  const alreadyAssigned: string[] = [];
  const missing: string[] = [];
  const taken = new Set<string>();
  for (const host of targets) {
    if (host.eip) {
      alreadyAssigned.push(host.id);
      continue;
    }
    let done = false;
    for (let attempt = 0; attempt < (options.attempts ?? 5) && !done; attempt++) {
      throwIfAborted(options.signal);
      const pool = await listPool(options.ec2, options.cluster);
      const mine = pool.find((a) => a.instanceId === host.id);
      if (mine) {
        alreadyAssigned.push(host.id);
        done = true;
        break;
      }
      const free = pool.find((a) => !taken.has(a.allocationId) && usableBy(a, host));
      if (!free) break;
      try {
        await options.ec2.associateAddress({
          allocationId: free.allocationId,
          instanceId: host.id,
          allowReassociation: false,
        });
        assigned.push({ instanceId: host.id, publicIp: free.publicIp, allocationId: free.allocationId });
        options.events.emit({
          code: 'eip.assigned',
          level: 'info',
          message: `${free.publicIp} → ${host.id} (${host.group})`,
          data: { instanceId: host.id, allocationId: free.allocationId, publicIp: free.publicIp },
        });
        done = true;
      } catch (err) {
        if (!(err instanceof AwsCallError) || !RACE_CODES.some((c) => err.awsCode.startsWith(c))) throw err;
        taken.add(free.allocationId);
        options.events.emit({
          code: 'eip.race',
          level: 'debug',
          message: `${free.publicIp} was taken; retrying`,
        });
      }
    }
    if (!done) missing.push(host.id);
  }
  if (missing.length) {
    throw new DeploymentError(
      'EIP_POOL_EXHAUSTED',
      `no free pool EIP for ${missing.join(', ')} (assigned ${assigned.length}): raise eipPool.size in the cluster spec and run \`tugboat update\`, then assign again`,
    );
  }
  return { assigned, alreadyAssigned };
}

const GONE_STATES = new Set(['shutting-down', 'terminated']);

/**
 * Frees pool addresses still associated with instances that are gone (terminated, shutting down
 * or unknown to EC2): AWS drops such an association itself once the instance is terminated, but
 * until it does (and on emulators that never do) the address would count as taken and a group
 * whose instances were replaced, as an update can do, would find its pool exhausted. Addresses of
 * live instances, in this cluster or not, are never touched.
 */
export async function releaseStaleAssociations(
  ec2: Ec2Api,
  cluster: string,
  live: readonly { readonly id: string }[],
  events: EventSink,
): Promise<number> {
  const liveIds = new Set(live.map((h) => h.id));
  const suspects = (await listPool(ec2, cluster)).filter(
    (a) => a.associationId && a.instanceId && !liveIds.has(a.instanceId),
  );
  if (suspects.length === 0) return 0;
  const ids = [...new Set(suspects.map((a) => a.instanceId as string))];
  const found = new Map(
    (await ec2.describeInstances([{ name: 'instance-id', values: ids }])).map((i) => [i.id, i.state]),
  );
  let released = 0;
  for (const a of suspects) {
    const state = found.get(a.instanceId as string);
    if (state !== undefined && !GONE_STATES.has(state)) continue;
    await ec2.disassociateAddress(a.associationId as string);
    events.emit({
      code: 'eip.released-stale',
      level: 'info',
      message: `${a.publicIp} released from ${a.instanceId} (${state ?? 'no longer exists'})`,
      data: { allocationId: a.allocationId, instanceId: a.instanceId },
    });
    released++;
  }
  return released;
}

/** Disassociates every pool address of the cluster (before the stack delete). Returns how many. */
export async function disassociatePool(ec2: Ec2Api, cluster: string, events: EventSink): Promise<number> {
  let count = 0;
  for (const a of await listPool(ec2, cluster)) {
    if (!a.associationId) continue;
    await ec2.disassociateAddress(a.associationId);
    events.emit({
      code: 'eip.disassociated',
      level: 'info',
      message: `${a.publicIp} released from ${a.instanceId}`,
    });
    count++;
  }
  return count;
}
