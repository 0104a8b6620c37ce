import type { AutoScalingGroup } from '../aws/autoscaling.js';
import type { Ec2Api, Ec2AttachedVolume, Ec2Instance, LaunchTemplateVersionData } from '../aws/ec2.js';

/** An instance that does not run what its group's launch template now says, and why. */
export interface OutdatedInstance {
  readonly id: string;
  /** e.g. `instance type t3.small, template says t3.large`. */
  readonly reasons: readonly string[];
}

/**
 * The instances of `group` that differ from its launch template's current version in instance type,
 * AMI or the size of the template's EBS volume (what `update` replaces them for; an instance whose
 * volume at that device is not in `volumes` is not judged on size). Compared on the instances themselves rather than on
 * the template version each one reports: EC2 emulators report the version the group was created
 * with for every instance, and a template change that touches none of these (user-data, tags)
 * has no reason to replace a running node. Instances leaving the group are not counted. Pure.
 */
export function outdatedInstances(
  group: AutoScalingGroup,
  instances: readonly Ec2Instance[],
  template: LaunchTemplateVersionData,
  volumes: readonly Ec2AttachedVolume[] = [],
): OutdatedInstance[] {
  const serving = new Set(
    group.instances
      .filter((i) => i.lifecycleState === 'InService' || i.lifecycleState === 'Pending')
      .map((i) => i.id),
  );
  const out: OutdatedInstance[] = [];
  for (const instance of instances) {
    if (!serving.has(instance.id)) continue;
    const reasons: string[] = [];
    if (template.instanceType && instance.instanceType && instance.instanceType !== template.instanceType)
      reasons.push(`instance type ${instance.instanceType}, template says ${template.instanceType}`);
    if (template.imageId && instance.imageId && instance.imageId !== template.imageId)
      reasons.push(`AMI ${instance.imageId}, template says ${template.imageId}`);
    const want = template.volume;
    const volume = want && volumes.find((v) => v.instanceId === instance.id && v.device === want.device);
    if (want && volume && volume.size !== want.size)
      reasons.push(`volume ${want.device} ${volume.size} GiB, template says ${want.size} GiB`);
    if (reasons.length > 0) out.push({ id: instance.id, reasons });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The group's instances that `template` (the version the group launches from) no longer describes. */
export async function describeOutdated(
  ec2: Ec2Api,
  group: AutoScalingGroup,
  template: LaunchTemplateVersionData,
): Promise<OutdatedInstance[]> {
  const ids = group.instances.map((i) => i.id);
  if (ids.length === 0) return [];
  return outdatedInstances(
    group,
    await ec2.describeInstances([{ name: 'instance-id', values: ids }]),
    template,
    template.volume ? await ec2.describeAttachedVolumes(ids) : [],
  );
}
