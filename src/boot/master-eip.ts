import type { Ec2Api } from '../aws/ec2.js';
import type { EventSink } from '../events.js';
import { listPool, type PoolAddress } from '../provision/eip.js';
import { raceForPoolAddress } from './pool-race.js';

/**
 * The cluster's master Elastic IP: the pool address tagged `tugboat:pool=master`, or undefined
 * when the spec gave the master none (`master.eip: false`). Read before the control plane is
 * installed, so its serving certificate names the address.
 */
export async function pickMasterEip(
  ec2: Ec2Api,
  cluster: string,
  options: PickMasterEipOptions = {},
): Promise<PoolAddress | undefined> {
  const pool = (await listPool(ec2, cluster)).filter((a) => a.pool === 'master');
  if (!options.instanceId) return pool[0];
  return pool.find((a) => a.instanceId === options.instanceId) ?? pool.find((a) => !a.instanceId);
}

/** Options of {@link pickMasterEip}. */
export interface PickMasterEipOptions {
  /**
   * Several masters, each with its own address: this instance's, else a free one, never one
   * another instance holds (a replaced master's address is freed with its instance).
   * @default one master: the pool's master address, wherever it is associated
   */
  readonly instanceId?: string;
}

/**
 * Moves the master address to this instance. Called only once this master serves, that is once it
 * holds the newest store generation and so has fenced any master before it: the address is then
 * this instance's to take, even from an old master that is still running (AllowReassociation).
 * With several masters (`allowReassociation` false) a free address only: two masters booting at
 * once never take one from the other. A no-op when it already has it.
 */
export async function associateMasterEip(
  ec2: Pick<Ec2Api, 'associateAddress'>,
  eip: PoolAddress,
  instanceId: string,
  events: EventSink,
  allowReassociation = true,
): Promise<void> {
  if (eip.instanceId === instanceId) return;
  await ec2.associateAddress({ allocationId: eip.allocationId, instanceId, allowReassociation });
  events.emit({
    code: 'boot.eip-claimed',
    level: 'info',
    message: `master address ${eip.publicIp} → ${instanceId}${eip.instanceId ? ` (taken over from ${eip.instanceId})` : ''}`,
    data: { allocationId: eip.allocationId, publicIp: eip.publicIp, instanceId },
  });
}

/** Every address of the cluster's master pool (several masters: any of them may end up this one's). */
export async function masterPoolAddresses(ec2: Ec2Api, cluster: string): Promise<string[]> {
  return (await listPool(ec2, cluster)).filter((a) => a.pool === 'master').map((a) => a.publicIp);
}

/**
 * Several masters (etcd), once this one serves: keeps the master address it holds, else takes a
 * free one with AllowReassociation=false. Masters that boot at once (a cluster formed from
 * user-data) race for the free addresses: EC2 lets one association through, the loser re-reads
 * the pool and tries another (first picks spread by instance id, at most `attempts`). None free:
 * undefined and a warning; the master serves on its private address.
 */
export async function claimMasterEip(
  ec2: Ec2Api,
  cluster: string,
  instanceId: string,
  events: EventSink,
  attempts = 5,
): Promise<PoolAddress | undefined> {
  let any = false;
  const won = await raceForPoolAddress({
    ec2,
    cluster,
    instanceId,
    events,
    attempts,
    eligible: (pool) => {
      const masters = pool.filter((a) => a.pool === 'master');
      any ||= masters.length > 0;
      return masters;
    },
    associate: (pick) => associateMasterEip(ec2, pick, instanceId, events, false),
  });
  if (won) return won.address;
  // The spec gave the masters no address (master.eip: false): nothing to take, nothing to say.
  if (any)
    events.emit({
      code: 'boot.eip-none-free',
      level: 'warn',
      message: `no free master Elastic IP of ${cluster} for ${instanceId}: it serves on its private address; the master pool has one address per master (tugboat eip assign ${cluster} gives it one later)`,
      data: { instanceId },
    });
  return undefined;
}
