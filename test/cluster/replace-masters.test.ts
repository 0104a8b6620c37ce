import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/index.js';
import { clusterMasterOps } from '../../src/cluster/master-replacement-ops.js';
import { type MasterReplacementOps, replaceOutdatedMasters } from '../../src/cluster/replace-masters.js';
import { AbortError, DeploymentError } from '../../src/errors.js';
import { silentEvents, type TugboatEvent } from '../../src/events.js';
import { waitForGroups } from '../../src/provision/cluster-instances.js';
import {
  type MotoWorkerGroups,
  startMotoWorkerGroups,
  typeChangedGroup,
} from '../support/moto-worker-groups.js';

// moto master groups (one instance each, tagged master-N), moved from t3.small to t3.large as a
// stack update does; the cluster side (etcd, API servers) is a model that records what was asked
// and when, so the order of terminations and checks is what is asserted.
let env: MotoWorkerGroups;
let aws: AwsClients;

beforeAll(async () => {
  env = await startMotoWorkerGroups('10.8.0.0/16');
  aws = env.aws;
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

async function groupOf(name: string) {
  return (await aws.autoScaling.describeGroups({ names: [name] }))[0]!;
}

async function instanceIds(names: readonly string[]): Promise<string[]> {
  return (await Promise.all(names.map(groupOf))).flatMap((g) => g.instances.map((i) => i.id));
}

/** `count` master groups of `cluster` (created in reverse, so the loop's own order is what is seen). */
async function masterGroups(cluster: string, count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = count; i >= 1; i--)
    names.unshift(
      (
        await typeChangedGroup(env, cluster, {
          desired: 1,
          max: 1,
          moved: true,
          role: 'master',
          group: `master-${i}`,
        })
      ).name,
    );
  return names;
}

/** Ops over a model: records each call with how many master instances were running at that moment. */
function modelOps(names: readonly string[], refuse?: (old: string) => string | undefined) {
  const log: string[] = [];
  const runningAt: number[] = [];
  const ops: MasterReplacementOps = {
    async beforeTerminate(old, masters) {
      runningAt.push((await instanceIds(names)).length);
      const problem = refuse?.(old);
      if (problem) throw new DeploymentError('UPDATE_UNHEALTHY', `not replacing master ${old}: ${problem}`);
      log.push(`check ${old} of ${masters.length}`);
    },
    async waitReplaced(old, next) {
      log.push(`joined ${next} for ${old}`);
    },
  };
  return { ops, log, runningAt };
}

const settleOf = (cluster: string) => () =>
  waitForGroups({
    ec2: aws.ec2,
    autoScaling: aws.autoScaling,
    cluster,
    pollIntervalMs: 100,
    events: { emit() {} },
  });

describe('replaceOutdatedMasters (moto)', () => {
  it('replaces three masters one at a time in group order, each checked first and its replacement joined before the next, capacity kept', async () => {
    const names = await masterGroups('three', 3);
    const before = await instanceIds(names);
    const model = modelOps(names);
    const events: TugboatEvent[] = [];
    const replaced = await replaceOutdatedMasters({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      groups: await Promise.all([...names].reverse().map(groupOf)),
      settle: settleOf('three'),
      ops: model.ops,
      pollIntervalMs: 100,
      events: { emit: (e) => events.push(e) },
    });
    expect(replaced.map((r) => [r.group, r.instance])).toEqual(
      names.map((_, i) => [`master-${i + 1}`, before[i]]),
    );
    expect(replaced[0]!.reasons).toEqual(['instance type t3.small, template says t3.large']);
    expect(replaced.every((r) => !r.surge)).toBe(true);
    const after = await instanceIds(names);
    expect(after).toHaveLength(3);
    expect(after.some((id) => before.includes(id))).toBe(false);
    // Check, then join, for each master in turn: never two masters out at once.
    expect(model.log).toEqual(
      before.flatMap((old, i) => [`check ${old} of 3`, `joined ${after[i]} for ${old}`]),
    );
    expect(model.runningAt).toEqual([3, 3, 3]);
    for (const name of names) expect((await groupOf(name)).desired).toBe(1);
    const types = await aws.ec2.describeInstances([{ name: 'instance-id', values: after }]);
    expect(types.map((i) => i.instanceType)).toEqual(['t3.large', 't3.large', 't3.large']);
    expect(events.some((e) => e.code === 'update.replace.master-downtime')).toBe(false);
    // A re-run finds nothing outdated and changes nothing.
    const again = await replaceOutdatedMasters({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      groups: await Promise.all(names.map(groupOf)),
      settle: settleOf('three'),
      ops: modelOps(names).ops,
    });
    expect(again).toEqual([]);
    expect(await instanceIds(names)).toEqual(after);
  }, 180_000);

  it('refuses before terminating anything when a check fails, and continues from there on a re-run', async () => {
    const names = await masterGroups('refuse', 3);
    const before = await instanceIds(names);
    let unhealthy = true;
    const model = modelOps(names, (old) =>
      unhealthy && old === before[1] ? `etcd: member ${before[2]} is not healthy: no answer` : undefined,
    );
    const options = {
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      settle: settleOf('refuse'),
      ops: model.ops,
      pollIntervalMs: 100,
    };
    const err = await replaceOutdatedMasters({
      ...options,
      groups: await Promise.all(names.map(groupOf)),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeploymentError);
    expect((err as DeploymentError).code).toBe('UPDATE_UNHEALTHY');
    expect((err as Error).message).toContain(`member ${before[2]} is not healthy`);
    // master-1 was replaced; master-2 and master-3 untouched.
    const mid = await instanceIds(names);
    expect(mid[0]).not.toBe(before[0]);
    expect(mid.slice(1)).toEqual(before.slice(1));
    unhealthy = false;
    const replaced = await replaceOutdatedMasters({
      ...options,
      groups: await Promise.all(names.map(groupOf)),
    });
    expect(replaced.map((r) => r.instance)).toEqual(before.slice(1));
    expect((await instanceIds(names)).some((id) => before.includes(id))).toBe(false);
  }, 180_000);

  it('Ctrl-C while a replacement joins: the re-run leaves that master (on the template now) and continues with the next', async () => {
    const names = await masterGroups('resume', 3);
    const before = await instanceIds(names);
    const controller = new AbortController();
    const model = modelOps(names);
    const interrupted: MasterReplacementOps = {
      beforeTerminate: model.ops.beforeTerminate,
      async waitReplaced() {
        controller.abort();
        throw new AbortError();
      },
    };
    const options = {
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      settle: settleOf('resume'),
      pollIntervalMs: 100,
    };
    await expect(
      replaceOutdatedMasters({
        ...options,
        groups: await Promise.all(names.map(groupOf)),
        ops: interrupted,
        signal: controller.signal,
      }),
    ).rejects.toBeInstanceOf(AbortError);
    const mid = await instanceIds(names);
    expect(mid[0]).not.toBe(before[0]);
    expect(mid.slice(1)).toEqual(before.slice(1));
    const resumed = modelOps(names);
    const replaced = await replaceOutdatedMasters({
      ...options,
      groups: await Promise.all(names.map(groupOf)),
      ops: resumed.ops,
    });
    expect(replaced.map((r) => r.instance)).toEqual(before.slice(1));
    // master-1's replacement was not touched again; the next master was checked first.
    expect((await instanceIds(names))[0]).toBe(mid[0]);
    expect(resumed.log[0]).toBe(`check ${before[1]} of 3`);
  }, 180_000);

  it('one master: warns that the API is down during the replacement, and a refused backup leaves it running', async () => {
    const names = await masterGroups('single', 1);
    const [only] = await instanceIds(names);
    const events: TugboatEvent[] = [];
    const refused = modelOps(names, () => 'no fresh backup of its state could be taken');
    await expect(
      replaceOutdatedMasters({
        ec2: aws.ec2,
        autoScaling: aws.autoScaling,
        groups: [await groupOf(names[0]!)],
        settle: settleOf('single'),
        ops: refused.ops,
        events: { emit: (e) => events.push(e) },
      }),
    ).rejects.toThrow('no fresh backup');
    expect(await instanceIds(names)).toEqual([only]);
    const warned = events.find((e) => e.code === 'update.replace.master-downtime');
    expect(warned?.level).toBe('warn');
    expect(warned?.message).toContain(`replacing ${only}, the cluster's only master: its API is down`);
    const replaced = await replaceOutdatedMasters({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      groups: [await groupOf(names[0]!)],
      settle: settleOf('single'),
      ops: modelOps(names).ops,
      pollIntervalMs: 100,
    });
    expect(replaced.map((r) => r.instance)).toEqual([only]);
    expect(await instanceIds(names)).not.toContain(only);
  }, 180_000);
});

describe('clusterMasterOps: the only master (moto)', () => {
  const opsFor = (store: 'embedded' | 'etcd') =>
    clusterMasterOps({
      aws,
      cluster: 'lonely',
      settings: { sshUser: 'ec2-user', sshAddress: 'private', groupLabels: {}, eipGroups: [], store },
      keyPair: { keyName: 'tugboat-lonely', imported: false },
      events: silentEvents,
    });

  it("refuses an etcd master that is etcd's only member: its replacement would have nothing to join", async () => {
    await expect(opsFor('etcd').beforeTerminate('i-0only', ['i-0only'])).rejects.toMatchObject({
      code: 'UPDATE_MASTER_UNSAFE',
      message: expect.stringContaining("it is etcd's only member"),
    });
  });

  it('refuses an embedded master that has shipped no state: no fresh backup, so its replacement would start empty', async () => {
    const err = await opsFor('embedded')
      .beforeTerminate('i-0only', ['i-0only'])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UPDATE_MASTER_UNSAFE' });
    expect((err as Error).message).toContain('no fresh backup of its state could be taken');
    expect((err as Error).message).toContain('backup:');
  }, 60_000);
});
