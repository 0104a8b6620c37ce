import type { ClusterBootstrapResult } from '../bootstrap/cluster-bootstrap.js';
import { UsageError } from '../errors.js';
import { silentEvents } from '../events.js';
import { checkClusterName, stackNameOf } from '../naming.js';
import { type GroupStatus, listClusterInstances } from '../provision/cluster-instances.js';
import { type BootstrapOption, prepareBootstrap } from './bootstrap-step.js';
import { localKeyPair, settleCluster } from './settle.js';
import { noStackError, stackSettings } from './stack-settings.js';
import type { LifecycleOptions } from './types.js';
import { withWorkerInstall } from './worker-install-step.js';

/** Options of `scaleGroup`. */
export interface ScaleGroupOptions extends LifecycleOptions {
  readonly cluster: string;
  /** The tugboat group name (`master` or a worker group). */
  readonly group: string;
  readonly desired: number;
  /** Wait until the group has `desired` instances InService. @default true */
  readonly wait?: boolean;
  /** Groups whose new instances take pool EIPs. @default the stack's BootstrapSettings when bootstrapping, else none */
  readonly eipGroups?: readonly string[];
  /** Root of local state (SSH key). @default ~/.tugboat */
  readonly stateRoot?: string;
  /**
   * The SSH bootstrap of the added instances once they are InService (and have their EIPs), with
   * the SSH settings the stack keeps; `false` skips it. Only with `wait`. @default true
   */
  readonly bootstrap?: BootstrapOption;
}

/** What `scaleGroup` did. */
export interface ScaleGroupResult {
  readonly cluster: string;
  readonly group: string;
  readonly previous: number;
  readonly desired: number;
  readonly groupStatus?: GroupStatus;
  /** What the SSH bootstrap did, when it ran. */
  readonly bootstrap?: ClusterBootstrapResult;
}

/**
 * Sets a group's desired capacity, validated against its min and max, then (unless `wait` is
 * false) settles the cluster like create does: instances InService, EIPs, the SSH bootstrap.
 * (The next `update` resets the size to the spec's value: put lasting changes in the spec.)
 */
export async function scaleGroup(options: ScaleGroupOptions): Promise<ScaleGroupResult> {
  const cluster = checkClusterName(options.cluster);
  const events = options.events ?? silentEvents;
  const { aws } = options;
  const inv = await listClusterInstances({ ec2: aws.ec2, autoScaling: aws.autoScaling, cluster });
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
  const bootstrapOn = options.wait !== false && options.bootstrap !== false;
  // The stack remembers the SSH user/address, labels and EIP groups: scale needs no spec file.
  const stack = bootstrapOn ? await aws.cloudFormation.describeStack(stackNameOf(cluster)) : undefined;
  if (bootstrapOn && !stack) throw noStackError(cluster, stackNameOf(cluster));
  const settings =
    stack && typeof options.bootstrap !== 'function'
      ? stackSettings(stack, 'run tugboat update -f SPEC once, or scale with --no-bootstrap')
      : undefined;
  const step = bootstrapOn
    ? prepareBootstrap(options.bootstrap, {
        skipReady: true,
        ssm: aws.ssm,
        ...(options.stateRoot ? { stateRoot: options.stateRoot } : {}),
        ...(settings ? { settings } : {}),
      })
    : undefined;
  // Instances launched now boot from user-data while scale installs them over SSH: one installer.
  return withWorkerInstall(
    aws.ssm,
    { cluster, by: 'scale', bootstrap: step !== undefined, events },
    async (): Promise<ScaleGroupResult> => {
      await aws.autoScaling.updateGroup({ name: group.asgName, desired });
      events.emit({
        code: 'group.scaled',
        level: 'info',
        message: `${group.name}: desired ${group.desired} → ${desired}`,
        data: { group: group.name, previous: group.desired, desired },
      });
      if (options.wait === false) return { cluster, group: group.name, previous: group.desired, desired };
      const after = await settleCluster({
        ...options,
        events,
        cluster,
        ...(stack ? { stack } : {}),
        eipGroups: options.eipGroups ?? settings?.eipGroups ?? [],
        keyPair: localKeyPair(cluster, options.stateRoot),
        bootstrap: step?.hook,
      });
      const bootstrapped = step?.result();
      const groupStatus = after.groups.find((g) => g.name === group.name);
      return {
        cluster,
        group: group.name,
        previous: group.desired,
        desired,
        ...(groupStatus ? { groupStatus } : {}),
        ...(bootstrapped ? { bootstrap: bootstrapped } : {}),
      };
    },
  );
}
