import type { AutoScalingApi, AutoScalingGroup } from '../aws/autoscaling.js';
import type { Ec2Api } from '../aws/ec2.js';
import { ROLE_TAG } from '../aws/types.js';
import { DeploymentError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { groupNameOf } from '../provision/cluster-instances.js';
import { pollUntil, throwIfAborted } from '../provision/wait.js';
import { type GroupTemplateWaitOptions, readGroupTemplate } from './group-template.js';
import { describeOutdated } from './outdated-instances.js';
import type { ReplacedInstance } from './replace-instances.js';

/** What replacing a master needs from the cluster (etcd, API servers, state backups). */
export interface MasterReplacementOps {
  /**
   * Before master `old` is terminated, `masters` being every current master: resolves once it may
   * go (several masters: every etcd member and every other API server healthy; one master: a fresh
   * backup of its state taken), else throws naming what is wrong. Changes nothing on the masters.
   */
  beforeTerminate(old: string, masters: readonly string[]): Promise<void>;
  /**
   * After `next`, the replacement of `old`, is InService with its address: resolves once it has
   * booted and serves (its API `/readyz`; several masters: its etcd member joined, every member
   * healthy, `old`'s member gone), else throws naming what is missing.
   */
  waitReplaced(old: string, next: string): Promise<void>;
}

/** Options of {@link replaceOutdatedMasters}. */
export interface ReplaceMastersOptions {
  readonly ec2: Ec2Api;
  readonly autoScaling: AutoScalingApi;
  /** The cluster's groups (the master ones are taken, `master-1` first). */
  readonly groups: readonly AutoScalingGroup[];
  /**
   * Waits until every group has its desired instances InService and gives the EIP groups their
   * addresses; no SSH install (the new master installs itself from its user-data).
   */
  readonly settle: () => Promise<unknown>;
  readonly ops: MasterReplacementOps;
  /**
   * After each replacement has joined, before the next master: what must follow the masters'
   * new addresses (the workers' agents, the kubeconfig). @default nothing
   */
  readonly afterReplaced?: () => Promise<unknown>;
  readonly events?: EventSink;
  readonly signal?: AbortSignal;
  /** As for workers (see readGroupTemplate). @default 60 s, read every second */
  readonly groupWait?: Pick<GroupTemplateWaitOptions, 'timeoutMs' | 'intervalMs'>;
  /** How long the group may take to launch the replacement. @default 600_000 */
  readonly launchTimeoutMs?: number;
  /** @default 2_000 */
  readonly pollIntervalMs?: number;
}

const byGroupName = (a: AutoScalingGroup, b: AutoScalingGroup) =>
  groupNameOf(a).localeCompare(groupNameOf(b), 'en', { numeric: true });

/**
 * `tugboat update`'s replacement of masters whose instance type, AMI or volume size differs from
 * their group's launch template, before any worker (kops' order), one at a time: the checks of
 * `ops.beforeTerminate`, then the old instance terminated through its group with the capacity
 * kept (TerminateInstanceInAutoScalingGroup, ShouldDecrementDesiredCapacity=false: each master
 * group holds exactly one), the replacement waited for InService with its address, then
 * `ops.waitReplaced` (it boots from user-data, rejoins etcd and serves) and `afterReplaced` (the
 * workers' agents told the new address) before the next master.
 * No surge: a second instance in a master group would be a fourth etcd member and a second claim
 * on the group's address. A replacement that still differs from the template stops the loop
 * (UPDATE_NOT_CONVERGING) before the next master. A re-run after Ctrl-C continues: a master already
 * on the template is not outdated, and the next one's checks wait for the cluster to be whole.
 * A group still on an older template version than its latest stops with GROUP_TEMPLATE_STALE
 * before its master is touched.
 */
export async function replaceOutdatedMasters(options: ReplaceMastersOptions): Promise<ReplacedInstance[]> {
  const { ec2, autoScaling, ops, signal } = options;
  const events = options.events ?? silentEvents;
  const groups = options.groups.filter((g) => g.tags[ROLE_TAG] === 'master').sort(byGroupName);
  const replaced: ReplacedInstance[] = [];
  for (const listed of groups) {
    throwIfAborted(signal);
    const name = groupNameOf(listed);
    const { group, template } = await readGroupTemplate(autoScaling, ec2, listed.name, {
      ...options.groupWait,
      events,
      ...(signal ? { signal } : {}),
    });
    if (!group?.launchTemplate || !template) continue;
    const old = (await describeOutdated(ec2, group, template))[0];
    if (!old) continue;
    const masters = await currentMasters(autoScaling, groups);
    const started = Date.now();
    if (masters.length === 1)
      events.emit({
        code: 'update.replace.master-downtime',
        level: 'warn',
        message: `replacing ${old.id}, the cluster's only master: its API is down until the replacement has booted and restored the state it shipped to S3 (a backup is taken first); pods keep running`,
      });
    await ops.beforeTerminate(old.id, masters);
    events.emit({
      code: 'update.replace.start',
      level: 'info',
      message: `replacing master ${old.id} of group ${name} (${old.reasons.join('; ')}): terminating it, its group launches the replacement`,
    });
    await autoScaling.terminateInstance(old.id, false);
    const next = await waitLaunched(options, group.name, old.id);
    await options.settle();
    await ops.waitReplaced(old.id, next);
    await options.afterReplaced?.();
    const after = (await autoScaling.describeGroups({ names: [group.name] }))[0];
    const still = after
      ? (await describeOutdated(ec2, after, template)).find((o) => o.id === next)
      : undefined;
    if (still)
      throw new DeploymentError(
        'UPDATE_NOT_CONVERGING',
        `${next}, launched by this update in group ${name} to replace ${old.id}, still differs from the launch template (${still.reasons.join('; ')}); the group does not launch what its template says, so replacing more masters would not help. Check the group's launch template version, then run update again`,
      );
    replaced.push({
      group: name,
      instance: old.id,
      reasons: old.reasons,
      surge: false,
      ms: Date.now() - started,
    });
    events.emit({
      code: 'update.replace.done',
      level: 'info',
      message: `replaced master ${old.id} of group ${name} with ${next}`,
      data: { group: name, old: old.id, new: next, ms: Date.now() - started },
    });
  }
  return replaced;
}

/** The InService or Pending instances of the master groups, in group order. */
async function currentMasters(
  autoScaling: AutoScalingApi,
  groups: readonly AutoScalingGroup[],
): Promise<string[]> {
  const read = await autoScaling.describeGroups({ names: groups.map((g) => g.name) });
  return read
    .sort(byGroupName)
    .flatMap((g) =>
      g.instances
        .filter((i) => i.lifecycleState === 'InService' || i.lifecycleState === 'Pending')
        .map((i) => i.id),
    );
}

/** Waits (bounded) until group `asgName` has an instance other than `old` on its way in; returns it. */
async function waitLaunched(options: ReplaceMastersOptions, asgName: string, old: string): Promise<string> {
  return pollUntil(
    async () => {
      const group = (await options.autoScaling.describeGroups({ names: [asgName] }))[0];
      if (!group)
        throw new DeploymentError(
          'GROUP_GONE',
          `auto-scaling group ${asgName} disappeared during the update`,
        );
      return group.instances.find(
        (i) => i.id !== old && (i.lifecycleState === 'InService' || i.lifecycleState === 'Pending'),
      )?.id;
    },
    {
      what: `auto-scaling group ${asgName} to launch a replacement for master ${old}`,
      hint: `check the group's activities (aws autoscaling describe-scaling-activities --auto-scaling-group-name ${asgName}), then run update again`,
      timeoutMs: options.launchTimeoutMs ?? 600_000,
      intervalMs: options.pollIntervalMs ?? 2_000,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
}
