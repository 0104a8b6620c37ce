import type { AutoScalingApi, AutoScalingGroup } from '../aws/autoscaling.js';
import type { Ec2Api, LaunchTemplateVersionData } from '../aws/ec2.js';
import { DeploymentError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { throwIfAborted } from '../provision/wait.js';
import { sleep } from '../timing.js';

/** How {@link readGroupTemplate} waits for a group still on an older launch template version. */
export interface GroupTemplateWaitOptions {
  /** Give up (GROUP_TEMPLATE_STALE) after this long. @default 60_000 */
  readonly timeoutMs?: number;
  /** Time between reads. @default 1_000 */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
  /** Told once (`update.replace.group-stale`) when a read finds the group behind its template. @default silent */
  readonly events?: EventSink;
}

/** A group as read by {@link readGroupTemplate}, with the template version it launches from. */
export interface GroupTemplate {
  /** Undefined when the group is gone. */
  readonly group?: AutoScalingGroup;
  /** Undefined without a launch template (or when EC2 does not know the version). */
  readonly template?: LaunchTemplateVersionData;
}

/** Whether a group's numbered launch template version is below the template's latest one. */
function behind(version: string, latest: string): boolean {
  return /^\d+$/.test(version) && /^\d+$/.test(latest) && Number(version) < Number(latest);
}

/**
 * Reads group `name` and the launch template version it launches from, once that version is the
 * template's latest. Our stack gives every group `LatestVersionNumber` of its template, so a group
 * pinned to an older number has not yet been moved: Auto Scaling reads are eventually consistent
 * after the stack update, and EC2 emulators leave the move to whoever drives them. Judging such a
 * group would compare its instances with what they already run and find nothing to replace while
 * they keep the old instance type, so it is re-read every `intervalMs` until it moves, bounded by
 * `timeoutMs` (then GROUP_TEMPLATE_STALE, saying how to move it). `$Latest`/`$Default` are taken
 * as they are.
 */
export async function readGroupTemplate(
  autoScaling: AutoScalingApi,
  ec2: Ec2Api,
  name: string,
  options: GroupTemplateWaitOptions = {},
): Promise<GroupTemplate> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = Math.max(1, options.intervalMs ?? 1_000);
  const events = options.events ?? silentEvents;
  const reads = Math.ceil(timeoutMs / intervalMs) + 1;
  let stale: { id: string; version: string; latest: string } | undefined;
  for (let read = 0; read < reads; read++) {
    if (read > 0) await sleep(intervalMs, options.signal);
    throwIfAborted(options.signal);
    const group = (await autoScaling.describeGroups({ names: [name] }))[0];
    if (!group?.launchTemplate) return group ? { group } : {};
    const { id, version } = group.launchTemplate;
    const latest = await ec2.describeLaunchTemplateVersion(id, '$Latest');
    if (latest && behind(version, latest.version)) {
      if (!stale)
        events.emit({
          code: 'update.replace.group-stale',
          level: 'info',
          message: `auto-scaling group ${name} still launches from launch template ${id} version ${version}, its template's latest is ${latest.version}: waiting for the group to move before judging its instances`,
        });
      stale = { id, version, latest: latest.version };
      continue;
    }
    const template =
      latest?.version === version ? latest : await ec2.describeLaunchTemplateVersion(id, version);
    return { group, ...(template ? { template } : {}) };
  }
  const last = stale!;
  throw new DeploymentError(
    'GROUP_TEMPLATE_STALE',
    `auto-scaling group ${name} still launches from launch template ${last.id} version ${last.version} after ${Math.round(timeoutMs / 1000)} s, while the stack gives it the template's latest version ${last.latest}; its instances cannot be judged or replaced from an old version: move the group (aws autoscaling update-auto-scaling-group --auto-scaling-group-name ${name} --launch-template LaunchTemplateId=${last.id},Version=${last.latest}) and run update again`,
  );
}
