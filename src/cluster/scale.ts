import { UsageError } from '../errors.js';
import { silentEvents } from '../events.js';
import { buildInventory, type GroupStatus, waitForGroups } from '../provision/inventory.js';
import { checkClusterName, type LifecycleOptions } from './types.js';

/** Options of `scaleGroup`. */
export interface ScaleGroupOptions extends LifecycleOptions {
  readonly cluster: string;
  /** The tugboat group name (`master` or a worker group). */
  readonly group: string;
  readonly desired: number;
  /** Wait until the group has `desired` instances InService. @default true */
  readonly wait?: boolean;
}

/** What `scaleGroup` did. */
export interface ScaleGroupResult {
  readonly cluster: string;
  readonly group: string;
  readonly previous: number;
  readonly desired: number;
  readonly groupStatus?: GroupStatus;
}

/**
 * Sets a group's desired capacity, validated against its min and max. (The next `update` resets
 * it to the spec's value: put lasting changes in the spec.)
 */
export async function scaleGroup(options: ScaleGroupOptions): Promise<ScaleGroupResult> {
  const cluster = checkClusterName(options.cluster);
  const events = options.events ?? silentEvents;
  const { aws } = options;
  const inv = await buildInventory({ ec2: aws.ec2, autoScaling: aws.autoScaling, cluster });
  const group = inv.groups.find((g) => g.name === options.group);
  if (!group) {
    const known = inv.groups.map((g) => g.name).join(', ') || 'none';
    throw new UsageError(`group "${options.group}" not found in cluster ${cluster}: groups are ${known}`);
  }
  const { desired } = options;
  if (!Number.isInteger(desired) || desired < group.min || desired > group.max) {
    throw new UsageError(
      `--desired ${desired} is outside ${group.name}'s range ${group.min}..${group.max}: pick a value in range, or change min/max in the spec and run \`tugboat update\``,
    );
  }
  if (group.role === 'master' && desired !== 1) {
    throw new UsageError(`the master group always has exactly 1 instance (asked for ${desired})`);
  }
  await aws.autoScaling.updateGroup({ name: group.asgName, desired });
  events.emit({
    code: 'group.scaled',
    level: 'info',
    message: `${group.name}: desired ${group.desired} → ${desired}`,
    data: { group: group.name, previous: group.desired, desired },
  });
  if (options.wait === false) return { cluster, group: group.name, previous: group.desired, desired };
  const after = await waitForGroups({
    ec2: aws.ec2,
    autoScaling: aws.autoScaling,
    cluster,
    events,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.pollIntervalMs ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  const groupStatus = after.groups.find((g) => g.name === group.name);
  return {
    cluster,
    group: group.name,
    previous: group.desired,
    desired,
    ...(groupStatus ? { groupStatus } : {}),
  };
}
