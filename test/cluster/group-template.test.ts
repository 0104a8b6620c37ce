import { UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/index.js';
import { readGroupTemplate } from '../../src/cluster/group-template.js';
import { hasOutdatedInstances, replaceOutdatedInstances } from '../../src/cluster/replace-instances.js';
import { replaceOutdatedMasters } from '../../src/cluster/replace-masters.js';
import { silentEvents, type TugboatEvent } from '../../src/events.js';
import { waitForGroups } from '../../src/provision/cluster-instances.js';
import {
  type MotoWorkerGroups,
  startMotoWorkerGroups,
  typeChangedGroup,
} from '../support/moto-worker-groups.js';

// What moto does on a stack update that changes a worker's instance type: a new launch template
// version (t3.large), the group left on version 1 (t3.small) until someone moves it, as
// CloudFormation does on AWS. `update` used to read such a group, compare its instances with
// version 1, find nothing to replace and report 'updated' while every worker ran t3.small.
let env: MotoWorkerGroups;
let aws: AwsClients;

beforeAll(async () => {
  env = await startMotoWorkerGroups('10.9.0.0/16');
  aws = env.aws;
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

/** A worker group of `cluster` on version 1 (t3.small) of a template whose latest version 2 says t3.large. */
const staleGroup = (cluster: string) => typeChangedGroup(env, cluster, { desired: 2, max: 4, moved: false });

async function groupOf(name: string) {
  return (await aws.autoScaling.describeGroups({ names: [name] }))[0]!;
}

const readyOps = {
  waitReady: async () => {},
  drain: async () => {},
  remove: async () => {},
};

describe('a group behind its launch template (moto)', () => {
  it('is re-read until it moves, then every old instance is replaced with the new instance type', async () => {
    const { name, templateId, move } = await staleGroup('late');
    const before = (await groupOf(name)).instances.map((i) => i.id).sort();
    const events: TugboatEvent[] = [];
    let moved: Promise<void> | undefined;
    const replaced = await replaceOutdatedInstances({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      cluster: 'late',
      groups: [await groupOf(name)],
      settle: () =>
        waitForGroups({
          ec2: aws.ec2,
          autoScaling: aws.autoScaling,
          cluster: 'late',
          pollIntervalMs: 100,
          events: silentEvents,
        }),
      nodes: readyOps,
      groupWait: { intervalMs: 100 },
      events: {
        emit(e) {
          events.push(e);
          // The group moves only once update has seen it stale: whenever that is, the update waits.
          if (e.code === 'update.replace.group-stale') moved ??= move();
        },
      },
    });
    await moved;
    const stale = events.filter((e) => e.code === 'update.replace.group-stale');
    expect(stale).toHaveLength(1);
    expect(stale[0]!.message).toBe(
      `auto-scaling group ${name} still launches from launch template ${templateId} version 1, its template's latest is 2: waiting for the group to move before judging its instances`,
    );
    expect(replaced.map((r) => r.instance).sort()).toEqual(before);
    expect(replaced[0]!.reasons).toEqual(['instance type t3.small, template says t3.large']);
    const after = await groupOf(name);
    const types = await aws.ec2.describeInstances([
      { name: 'instance-id', values: after.instances.map((i) => i.id) },
    ]);
    expect(types.map((i) => i.instanceType)).toEqual(['t3.large', 't3.large']);
    expect(await hasOutdatedInstances({ ec2: aws.ec2, autoScaling: aws.autoScaling }, [after])).toBe(false);
  }, 120_000);

  it('that never moves stops the update with GROUP_TEMPLATE_STALE, naming both versions and the fix; nothing is drained', async () => {
    const { name, templateId, move } = await staleGroup('stuck');
    const drained: string[] = [];
    const run = replaceOutdatedInstances({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      cluster: 'stuck',
      groups: [await groupOf(name)],
      settle: async () => {},
      nodes: { ...readyOps, drain: async (id) => void drained.push(id) },
      groupWait: { timeoutMs: 500, intervalMs: 100 },
    });
    await expect(run).rejects.toMatchObject({
      code: 'GROUP_TEMPLATE_STALE',
      message: expect.stringContaining(
        `auto-scaling group ${name} still launches from launch template ${templateId} version 1 after 1 s, while the stack gives it the template's latest version 2`,
      ),
    });
    await expect(run).rejects.toThrow(
      `--auto-scaling-group-name ${name} --launch-template LaunchTemplateId=${templateId},Version=2) and run update again`,
    );
    expect(drained).toEqual([]);
    // A re-run of update (no stack change) asks the same question and gets the same answer.
    await expect(
      hasOutdatedInstances({ ec2: aws.ec2, autoScaling: aws.autoScaling, timeoutMs: 300, intervalMs: 100 }, [
        await groupOf(name),
      ]),
    ).rejects.toMatchObject({ code: 'GROUP_TEMPLATE_STALE' });
    // Once moved, the same group reads at version 2 at once and its instances are outdated.
    await move();
    const read = await readGroupTemplate(aws.autoScaling, aws.ec2, name, { timeoutMs: 0 });
    expect(read.template).toMatchObject({ version: '2', instanceType: 't3.large' });
    expect(
      await hasOutdatedInstances({ ec2: aws.ec2, autoScaling: aws.autoScaling }, [await groupOf(name)]),
    ).toBe(true);
  }, 120_000);

  it('a master group that never moves stops the master replacement with GROUP_TEMPLATE_STALE before its master is touched; the worker loop leaves master groups alone', async () => {
    const master = await typeChangedGroup(env, 'mixed', {
      desired: 1,
      max: 1,
      moved: false,
      role: 'master',
      group: 'master-1',
    });
    const workers = await typeChangedGroup(env, 'mixed', { desired: 1, max: 2, moved: true });
    const masterBefore = (await groupOf(master.name)).instances.map((i) => i.id);
    const touched: string[] = [];
    const groups = [await groupOf(master.name), await groupOf(workers.name)];
    const err = await replaceOutdatedMasters({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      groups,
      settle: async () => {},
      ops: {
        beforeTerminate: async (old) => void touched.push(old),
        waitReplaced: async (old) => void touched.push(old),
      },
      groupWait: { timeoutMs: 300, intervalMs: 100 },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'GROUP_TEMPLATE_STALE' });
    expect((err as Error).message).toContain(
      `auto-scaling group ${master.name} still launches from launch template`,
    );
    expect(touched).toEqual([]);
    expect((await groupOf(master.name)).instances.map((i) => i.id)).toEqual(masterBefore);
    const replaced = await replaceOutdatedInstances({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      cluster: 'mixed',
      groups,
      settle: () =>
        waitForGroups({
          ec2: aws.ec2,
          autoScaling: aws.autoScaling,
          cluster: 'mixed',
          pollIntervalMs: 100,
          events: silentEvents,
        }),
      nodes: readyOps,
      groupWait: { timeoutMs: 300, intervalMs: 100 },
    });
    expect(replaced.map((r) => r.group)).toEqual(['workers']);
    expect((await groupOf(master.name)).instances.map((i) => i.id)).toEqual(masterBefore);
    // A re-run that finds no stack change still sees the master to replace.
    await master.move();
    expect(
      await hasOutdatedInstances({ ec2: aws.ec2, autoScaling: aws.autoScaling }, [
        await groupOf(master.name),
      ]),
    ).toBe(true);
  }, 120_000);

  it('on $Latest is never behind, and a group that is gone reads as nothing', async () => {
    const { name, templateId } = await staleGroup('latest');
    await env.asg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchTemplate: { LaunchTemplateId: templateId, Version: '$Latest' },
      }),
    );
    const read = await readGroupTemplate(aws.autoScaling, aws.ec2, name, { timeoutMs: 0 });
    expect(read.group?.launchTemplate?.version).toBe('$Latest');
    expect(read.template).toMatchObject({ version: '2', instanceType: 't3.large' });
    expect(await readGroupTemplate(aws.autoScaling, aws.ec2, 'no-such-group', { timeoutMs: 0 })).toEqual({});
  }, 60_000);
});
