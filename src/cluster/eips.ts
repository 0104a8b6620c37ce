import { silentEvents } from '../events.js';
import { checkClusterName } from '../naming.js';
import {
  type AssignEipsResult,
  assignEips as assignPoolEips,
  listPool,
  type PoolAddress,
} from '../provision/eip.js';
import type { LifecycleOptions } from './types.js';

/** Options of `listEips`. */
export interface ListEipsOptions extends LifecycleOptions {
  readonly cluster: string;
}

/** The cluster's EIP pool with what each address is associated with. */
export async function listEips(options: ListEipsOptions): Promise<PoolAddress[]> {
  return listPool(options.aws.ec2, checkClusterName(options.cluster));
}

/** Options of `assignEips`. */
export interface AssignClusterEipsOptions extends LifecycleOptions {
  readonly cluster: string;
  /** Only this group. @default the groups whose spec says `eip: true` (tag `tugboat:eip=true`) */
  readonly group?: string;
  /** Only this instance. */
  readonly instanceId?: string;
}

/** Associates free pool EIPs with the cluster's hosts (idempotent; never steals an address). */
export async function assignEips(options: AssignClusterEipsOptions): Promise<AssignEipsResult> {
  return assignPoolEips({
    ec2: options.aws.ec2,
    autoScaling: options.aws.autoScaling,
    cluster: checkClusterName(options.cluster),
    events: options.events ?? silentEvents,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.group ? { group: options.group } : {}),
    ...(options.instanceId ? { instanceId: options.instanceId } : {}),
  });
}
