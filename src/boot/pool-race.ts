import type { Ec2Api } from '../aws/ec2.js';
import { isAwsError } from '../aws/errors.js';
import type { EventSink } from '../events.js';
import { listPool, type PoolAddress } from '../provision/eip.js';

/** Codes EC2 answers when another instance associated the address first (AllowReassociation=false). */
const RACE_CODES = ['Resource.AlreadyAssociated', 'InvalidAddress.InUse', 'InvalidIPAddress.InUse'];

/** Options of {@link raceForPoolAddress}. */
export interface PoolRaceOptions {
  readonly ec2: Ec2Api;
  readonly cluster: string;
  readonly instanceId: string;
  readonly events: EventSink;
  /** The pool addresses this instance may take (its own included), in order of preference. */
  readonly eligible: (pool: readonly PoolAddress[]) => PoolAddress[];
  /** Associates the chosen free address (AllowReassociation=false). */
  readonly associate: (pick: PoolAddress) => Promise<void>;
  /** Tries after losing a race for an address. @default 5 */
  readonly attempts?: number;
}

/**
 * A booting instance's claim on a pool address: the one it holds already (user-data runs at every
 * start) is kept; else a free eligible one is associated without AllowReassociation, so an
 * address in use is never taken. Instances racing for one address: EC2 lets one association
 * through, the loser re-reads the pool and tries another (first picks spread by instance id over
 * the most preferred free addresses). Undefined when none is left.
 */
export async function raceForPoolAddress(
  options: PoolRaceOptions,
): Promise<{ readonly outcome: 'claimed' | 'kept'; readonly address: PoolAddress } | undefined> {
  const { instanceId, events } = options;
  const lost = new Set<string>();
  for (let attempt = 1; attempt <= (options.attempts ?? 5); attempt++) {
    const eligible = options.eligible(await listPool(options.ec2, options.cluster));
    const mine = eligible.find((a) => a.instanceId === instanceId);
    if (mine) return { outcome: 'kept', address: mine };
    const free = eligible.filter((a) => !a.instanceId && !a.associationId && !lost.has(a.allocationId));
    const first = free.filter((a) => a.pool === free[0]?.pool);
    const pick = first[spread(instanceId) % Math.max(first.length, 1)];
    if (!pick) return undefined;
    try {
      await options.associate(pick);
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
  return undefined;
}

function spread(text: string): number {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}
