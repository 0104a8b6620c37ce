import type { Ec2Api } from '../aws/ec2.js';
import { isAwsError } from '../aws/errors.js';
import type { EventSink } from '../events.js';
import { listPool, type PoolAddress } from '../provision/eip.js';

/** Codes EC2 answers when another instance associated the address first (AllowReassociation=false). */
const RACE_CODES = ['Resource.AlreadyAssociated', 'InvalidAddress.InUse', 'InvalidIPAddress.InUse'];

/** Options of {@link claimWorkerEip}. */
export interface WorkerEipOptions {
  readonly ec2: Ec2Api;
  readonly cluster: string;
  /** The worker's group: addresses tagged `tugboat:pool=<group>` are its own, tried before `workers`. @default none */
  readonly group?: string;
  readonly instanceId: string;
  readonly events: EventSink;
  /** Tries after losing a race for an address. @default 5 */
  readonly attempts?: number;
}

/** What {@link claimWorkerEip} found. */
export type WorkerEipResult =
  | { readonly outcome: 'claimed' | 'kept'; readonly address: PoolAddress }
  | { readonly outcome: 'none-free'; readonly pools: readonly string[] };

/** The pools a worker of `group` may take from, in order: its group's own, then the shared one. */
export function workerPools(group: string | undefined): string[] {
  return [...(group ? [group] : []), 'workers', '', 'any'];
}

/**
 * A booting worker of a group with `eip: true` takes a free address of the cluster's pool, as
 * `tugboat eip assign` would give it: an address already associated with this instance is kept (a
 * reboot runs user-data again); otherwise a free one of its group's pool, else of `workers`, is
 * associated with AllowReassociation=false, so an address in use is never taken from anyone. Two
 * workers racing for one address: EC2 lets one association through, the other re-reads the pool
 * and tries the next (the start is spread by instance id); none free is the `none-free` outcome.
 */
export async function claimWorkerEip(options: WorkerEipOptions): Promise<WorkerEipResult> {
  const { cluster, instanceId, events } = options;
  const pools = workerPools(options.group);
  const lost = new Set<string>();
  for (let attempt = 1; attempt <= (options.attempts ?? 5); attempt++) {
    const pool = await listPool(options.ec2, cluster);
    const mine = pool.find((a) => a.instanceId === instanceId);
    if (mine) return { outcome: 'kept', address: mine };
    const free = pool
      .filter((a) => !a.instanceId && !a.associationId && !lost.has(a.allocationId) && pools.includes(a.pool))
      .sort((a, b) => pools.indexOf(a.pool) - pools.indexOf(b.pool));
    const first = free.filter((a) => a.pool === free[0]?.pool);
    const pick = first[spread(instanceId) % Math.max(first.length, 1)];
    if (!pick) break;
    try {
      await options.ec2.associateAddress({
        allocationId: pick.allocationId,
        instanceId,
        allowReassociation: false,
      });
      events.emit({
        code: 'boot.eip-claimed',
        level: 'info',
        message: `pool address ${pick.publicIp} (pool ${pick.pool || 'workers'}) → ${instanceId}`,
        data: { allocationId: pick.allocationId, publicIp: pick.publicIp, instanceId },
      });
      return { outcome: 'claimed', address: { ...pick, instanceId } };
    } catch (err) {
      if (!isAwsError(err, ...RACE_CODES)) throw err;
      lost.add(pick.allocationId);
      events.emit({
        code: 'boot.eip-race',
        level: 'info',
        message: `${pick.publicIp} went to another instance first; trying the next (${attempt})`,
      });
    }
  }
  const named = pools.filter(Boolean).slice(0, 2).join(' or ');
  events.emit({
    code: 'boot.eip-none-free',
    level: 'warn',
    message: `no free Elastic IP in pool ${named} of ${cluster} for ${instanceId}: it joins without one; raise eipPool.size in the cluster spec, run tugboat update, then tugboat eip assign ${cluster}`,
    data: { instanceId, pools: pools.filter(Boolean) },
  });
  return { outcome: 'none-free', pools: pools.filter(Boolean) };
}

function spread(text: string): number {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}
