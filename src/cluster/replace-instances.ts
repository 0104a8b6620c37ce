import type { AutoScalingApi, AutoScalingGroup } from '../aws/autoscaling.js';
import type { Ec2Api } from '../aws/ec2.js';
import { ROLE_TAG } from '../aws/types.js';
import { DeploymentError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { groupNameOf } from '../provision/cluster-instances.js';
import { throwIfAborted } from '../provision/wait.js';
import { type GroupTemplateWaitOptions, readGroupTemplate } from './group-template.js';
import { describeOutdated } from './outdated-instances.js';

/** Marks a group whose capacity `update` raised by one to replace the instance named in the value. */
export const SURGE_TAG = 'tugboat:surge-for';

/** What the replacement needs from the cluster's API: nodes are named by instance id. */
export interface NodeReplacementOps {
  /** Resolves once the instance's Node is Ready. */
  waitReady(instanceId: string): Promise<void>;
  /** Cordons the instance's Node and evicts its pods (PodDisruptionBudgets hold); no Node: nothing. */
  drain(instanceId: string): Promise<void>;
  /** Deletes the instance's Node object when it is still there. */
  remove(instanceId: string): Promise<void>;
}

/** Options of {@link replaceOutdatedInstances}. */
export interface ReplaceInstancesOptions {
  readonly ec2: Ec2Api;
  readonly autoScaling: AutoScalingApi;
  readonly cluster: string;
  /** The cluster's groups, as listed after the stack update. */
  readonly groups: readonly AutoScalingGroup[];
  /** Waits until every group has its desired instances InService, then bootstraps what is new. */
  readonly settle: () => Promise<unknown>;
  readonly nodes: NodeReplacementOps;
  readonly events?: EventSink;
  readonly signal?: AbortSignal;
  /**
   * How long a group still on an older launch template version than its template's latest is
   * re-read before the update gives up (see readGroupTemplate). @default 60 s, read every second
   */
  readonly groupWait?: Pick<GroupTemplateWaitOptions, 'timeoutMs' | 'intervalMs'>;
}

/** One instance replaced. */
export interface ReplacedInstance {
  readonly group: string;
  readonly instance: string;
  readonly reasons: readonly string[];
  /** True when a new instance was started first (the group had room above its desired size). */
  readonly surge: boolean;
  /** Milliseconds from the start of this replacement to the old instance gone and the new node Ready. */
  readonly ms: number;
}

/**
 * `tugboat update`'s instance replacement after a change of instance type, AMI or volume size, one worker at a
 * time (our own loop rather than an ASG instance refresh, which neither drains through the
 * Eviction API nor waits for the Node to be Ready): when the group has room, surge (desired + 1),
 * wait until the new instance is bootstrapped and every current node of the group is Ready, drain
 * the old one, terminate it and lower the desired size again; a group at its maximum drains and
 * terminates first and lets the group launch the replacement. The surge is recorded on the group
 * (tag {@link SURGE_TAG}), so a re-run after Ctrl-C finishes it instead of surging twice.
 * Master groups are skipped: `update` replaces them first (replaceOutdatedMasters).
 */
export async function replaceOutdatedInstances(
  options: ReplaceInstancesOptions,
): Promise<ReplacedInstance[]> {
  const { ec2, autoScaling, nodes, signal } = options;
  const events = options.events ?? silentEvents;
  const replaced: ReplacedInstance[] = [];
  for (const initial of options.groups) {
    // Masters are replaced before, one at a time and without a surge (replace-masters.ts).
    if (initial.tags[ROLE_TAG] === 'master') continue;
    const name = groupNameOf(initial);
    const before = new Set(initial.instances.map((i) => i.id));
    // Bounded: each pass replaces one instance; a group never holds more than max instances.
    for (let pass = 0; pass <= initial.max + 1; pass++) {
      throwIfAborted(signal);
      const { group, template } = await readGroupTemplate(autoScaling, ec2, initial.name, {
        ...options.groupWait,
        events,
        ...(signal ? { signal } : {}),
      });
      if (!group?.launchTemplate) break;
      const outdated = template ? await describeOutdated(ec2, group, template) : [];
      const surgeFor = group.tags[SURGE_TAG];
      if (outdated.length === 0) {
        if (surgeFor !== undefined) await autoScaling.setGroupTag(group.name, SURGE_TAG, undefined);
        break;
      }
      const old = outdated.find((o) => o.id === surgeFor) ?? outdated[0]!;
      // An instance this update launched that still differs would be replaced forever.
      const launchedNow = outdated.find((o) => !before.has(o.id) && o.id !== surgeFor);
      if (launchedNow)
        throw new DeploymentError(
          'UPDATE_NOT_CONVERGING',
          `${launchedNow.id}, launched by this update in group ${name}, still differs from the launch template (${launchedNow.reasons.join('; ')}); the group does not launch what its template says, so replacing more instances would not help. Check the group's launch template version, then run update again`,
        );
      const surge = surgeFor === old.id || group.desired + 1 <= group.max;
      const started = Date.now();
      events.emit({
        code: 'update.replace.start',
        level: 'info',
        message: `replacing ${old.id} of group ${name} (${old.reasons.join('; ')})${surge ? ', new instance first' : ', group at its maximum size: old instance first'}`,
      });
      if (surge) {
        if (surgeFor !== old.id) {
          await autoScaling.setGroupTag(group.name, SURGE_TAG, old.id);
          await autoScaling.updateGroup({ name: group.name, desired: group.desired + 1 });
        }
        await options.settle();
        await waitCurrentReady(options, group.name, new Set(outdated.map((o) => o.id)));
        await nodes.drain(old.id);
        await autoScaling.terminateInstance(old.id, true);
        await nodes.remove(old.id);
        await autoScaling.setGroupTag(group.name, SURGE_TAG, undefined);
      } else {
        await nodes.drain(old.id);
        await autoScaling.terminateInstance(old.id, false);
        await nodes.remove(old.id);
        await options.settle();
        await waitCurrentReady(options, group.name, new Set(outdated.map((o) => o.id)));
      }
      replaced.push({ group: name, instance: old.id, reasons: old.reasons, surge, ms: Date.now() - started });
      events.emit({
        code: 'update.replace.done',
        level: 'info',
        message: `replaced ${old.id} of group ${name}`,
      });
    }
  }
  return replaced;
}

/** Options of {@link hasOutdatedInstances}. */
export interface OutdatedInstancesOptions extends GroupTemplateWaitOptions {
  readonly ec2: Ec2Api;
  readonly autoScaling: AutoScalingApi;
}

/**
 * Whether any group, master or worker, holds an instance its launch template no longer describes
 * (what a `tugboat update` interrupted during the replacement leaves; its re-run finds no stack
 * change).
 * Each group is re-read as readGroupTemplate does, so one not yet on its template's latest version
 * is waited for rather than judged against the version its instances already run.
 */
export async function hasOutdatedInstances(
  options: OutdatedInstancesOptions,
  groups: readonly AutoScalingGroup[],
): Promise<boolean> {
  const { ec2, autoScaling, ...wait } = options;
  for (const listed of groups) {
    if (listed.tags[SURGE_TAG] !== undefined) return true;
    const { group, template } = await readGroupTemplate(autoScaling, ec2, listed.name, wait);
    if (group && template && (await describeOutdated(ec2, group, template)).length > 0) return true;
  }
  return false;
}

/** Waits until the Node of every InService instance of the group that is not outdated is Ready. */
async function waitCurrentReady(
  options: ReplaceInstancesOptions,
  asgName: string,
  outdated: ReadonlySet<string>,
): Promise<void> {
  const group = (await options.autoScaling.describeGroups({ names: [asgName] }))[0];
  if (!group)
    throw new DeploymentError('GROUP_GONE', `auto-scaling group ${asgName} disappeared during the update`);
  for (const i of group.instances)
    if (i.lifecycleState === 'InService' && !outdated.has(i.id)) await options.nodes.waitReady(i.id);
}
