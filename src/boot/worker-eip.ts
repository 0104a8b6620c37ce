import type { Ec2Api } from '../aws/ec2.js';
import type { EventSink } from '../events.js';
import type { PoolAddress } from '../provision/eip.js';
import { raceForPoolAddress } from './pool-race.js';

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
  const won = await raceForPoolAddress({
    ec2: options.ec2,
    cluster,
    instanceId,
    events,
    ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
    // Its own address wherever it is (a reboot keeps it); free ones of its pools, in their order.
    eligible: (pool) =>
      pool
        .filter((a) => a.instanceId === instanceId || pools.includes(a.pool))
        .sort((a, b) => pools.indexOf(a.pool) - pools.indexOf(b.pool)),
    associate: async (pick) => {
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
    },
  });
  if (won) return won;
  const named = pools.filter(Boolean).slice(0, 2).join(' or ');
  events.emit({
    code: 'boot.eip-none-free',
    level: 'warn',
    message: `no free Elastic IP in pool ${named} of ${cluster} for ${instanceId}: it joins without one; raise eipPool.size in the cluster spec, run tugboat update, then tugboat eip assign ${cluster}`,
    data: { instanceId, pools: pools.filter(Boolean) },
  });
  return { outcome: 'none-free', pools: pools.filter(Boolean) };
}
