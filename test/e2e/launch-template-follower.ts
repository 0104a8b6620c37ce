import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplatesCommand } from '@aws-sdk/client-ec2';
import type { Moto } from '../harness/moto.js';
import { motoEc2Client } from '../support/moto-ec2.js';

/** A running {@link followLaunchTemplates}; `stop()` ends it and says how many groups it moved. */
export interface LaunchTemplateFollower {
  stop(): Promise<number>;
}

/**
 * Does for moto what CloudFormation does on a stack update that changes a launch template: our
 * template gives each group `Version: !GetAtt LaunchTemplate.LatestVersionNumber`, so on AWS the
 * update moves the group to the new version in place (instances untouched; `update` then replaces
 * them). moto compares resources by their template text, sees the group's unchanged and leaves it
 * on the old version. Every 200 ms this moves each group of `cluster` whose numbered version is
 * below its template's latest to the latest, through UpdateAutoScalingGroup (what CloudFormation
 * calls). Its timing does not matter to the outcome: `update` re-reads a group whose numbered
 * version is below its template's latest until it moves (src/cluster/group-template.ts, bounded
 * at 60 s), as it would while Auto Scaling's reads catch up on AWS. `stop()` says how many groups
 * it moved, so a test can check that the step it stands in for happened.
 */
export function followLaunchTemplates(
  moto: Moto,
  cluster: string,
  log: (line: string) => void,
): LaunchTemplateFollower {
  const ec2 = motoEc2Client(moto);
  const asg = new AutoScalingClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  let running = true;
  let moved = 0;
  const pass = async () => {
    const groups =
      (
        await asg.send(
          new DescribeAutoScalingGroupsCommand({
            Filters: [{ Name: 'tag:tugboat:cluster', Values: [cluster] }],
          }),
        )
      ).AutoScalingGroups ?? [];
    const pinned = groups.filter(
      (g) => g.LaunchTemplate?.LaunchTemplateId && /^\d+$/.test(g.LaunchTemplate.Version ?? ''),
    );
    if (pinned.length === 0) return;
    const templates =
      (
        await ec2.send(
          new DescribeLaunchTemplatesCommand({
            LaunchTemplateIds: pinned.map((g) => g.LaunchTemplate!.LaunchTemplateId!),
          }),
        )
      ).LaunchTemplates ?? [];
    for (const g of pinned) {
      const latest = templates.find(
        (t) => t.LaunchTemplateId === g.LaunchTemplate!.LaunchTemplateId,
      )?.LatestVersionNumber;
      if (latest === undefined || latest <= Number(g.LaunchTemplate!.Version)) continue;
      await asg.send(
        new UpdateAutoScalingGroupCommand({
          AutoScalingGroupName: g.AutoScalingGroupName,
          LaunchTemplate: { LaunchTemplateId: g.LaunchTemplate!.LaunchTemplateId, Version: String(latest) },
        }),
      );
      moved++;
      log(
        `group ${g.AutoScalingGroupName} moved to launch template version ${latest}, as CloudFormation would`,
      );
    }
  };
  const loop = (async () => {
    while (running) {
      await pass().catch((err: Error) => log(`launch template follower: ${err.message}`));
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      ec2.destroy();
      asg.destroy();
      return moved;
    },
  };
}
