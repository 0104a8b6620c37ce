import {
  type AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateOrUpdateTagsCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/index.js';
import { KubeClient } from '../../src/client/client.js';
import { resources } from '../../src/client/types.js';
import { kubeNodeReplacementOps } from '../../src/cluster/node-replacement-ops.js';
import {
  type NodeReplacementOps,
  replaceOutdatedInstances,
  SURGE_TAG,
} from '../../src/cluster/replace-instances.js';
import { silentEvents } from '../../src/events.js';
import { waitForGroups } from '../../src/provision/cluster-instances.js';
import { type RunningApiServer, startApiServer } from '../support/api-server.js';
import {
  type MotoWorkerGroups,
  startMotoWorkerGroups,
  typeChangedGroup,
} from '../support/moto-worker-groups.js';

let env: MotoWorkerGroups;
let aws: AwsClients;
let ec2: EC2Client;
let asg: AutoScalingClient;
let subnetId: string;
let imageId: string;

beforeAll(async () => {
  env = await startMotoWorkerGroups();
  ({ aws, ec2, asg, subnetId, imageId } = env);
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

/** A worker group of `cluster` on a t3.small template, then the template moved to t3.large as a stack update does. */
async function outdatedGroup(cluster: string, sizes: { desired: number; max: number }): Promise<string> {
  return (await typeChangedGroup(env, cluster, { ...sizes, moved: true })).name;
}

async function groupOf(name: string) {
  return (await aws.autoScaling.describeGroups({ names: [name] }))[0]!;
}

async function instanceTypes(name: string): Promise<string[]> {
  const g = await groupOf(name);
  const found = await aws.ec2.describeInstances([
    { name: 'instance-id', values: g.instances.map((i) => i.id) },
  ]);
  return found.map((i) => i.instanceType ?? '?').sort();
}

/**
 * Node ops over a model of the cluster: an instance's node is Ready once waited for; the log says
 * the order of calls, and each drain records how many Ready nodes other than the drained one
 * there were (capacity kept while the old node empties).
 */
function modelOps(): NodeReplacementOps & { log: string[]; readyOthersAtDrain: number[] } {
  const ready = new Set<string>();
  const log: string[] = [];
  const readyOthersAtDrain: number[] = [];
  return {
    log,
    readyOthersAtDrain,
    async waitReady(id) {
      ready.add(id);
      log.push(`ready ${id}`);
    },
    async drain(id) {
      readyOthersAtDrain.push([...ready].filter((r) => r !== id).length);
      log.push(`drain ${id}`);
    },
    async remove(id) {
      ready.delete(id);
      log.push(`remove ${id}`);
    },
  };
}

describe('replaceOutdatedInstances (moto)', () => {
  it('surges one new instance per old one, drains the old only once the new one is Ready, and ends at the desired size', async () => {
    const name = await outdatedGroup('surge', { desired: 2, max: 4 });
    const before = (await groupOf(name)).instances.map((i) => i.id);
    const ops = modelOps();
    for (const id of before) await ops.waitReady(id);
    const settle = () =>
      waitForGroups({
        ec2: aws.ec2,
        autoScaling: aws.autoScaling,
        cluster: 'surge',
        pollIntervalMs: 100,
        events: silentEvents,
      });
    const replaced = await replaceOutdatedInstances({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      cluster: 'surge',
      groups: [await groupOf(name)],
      settle,
      nodes: ops,
    });
    expect(replaced.map((r) => r.instance).sort()).toEqual([...before].sort());
    expect(replaced.every((r) => r.surge)).toBe(true);
    expect(replaced[0]!.reasons).toEqual(['instance type t3.small, template says t3.large']);
    const after = await groupOf(name);
    expect(after.desired).toBe(2);
    expect(after.tags[SURGE_TAG]).toBeUndefined();
    expect(after.instances.some((i) => before.includes(i.id))).toBe(false);
    expect(await instanceTypes(name)).toEqual(['t3.large', 't3.large']);
    // Both old nodes were drained while two other nodes were Ready (never below the desired size).
    expect(ops.readyOthersAtDrain).toEqual([2, 2]);
    for (const old of before)
      expect(ops.log.indexOf(`drain ${old}`)).toBeLessThan(ops.log.indexOf(`remove ${old}`));
    // A second run has nothing left to do.
    expect(
      await replaceOutdatedInstances({
        ec2: aws.ec2,
        autoScaling: aws.autoScaling,
        cluster: 'surge',
        groups: [after],
        settle,
        nodes: ops,
      }),
    ).toEqual([]);
  }, 120_000);

  it('replaces for a volume size change, and stops when the group launches instances that still differ', async () => {
    const mapping = (size: number) => [
      { DeviceName: '/dev/xvda', Ebs: { VolumeSize: size, VolumeType: 'gp3' as const } },
    ];
    const lt = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'vol-workers',
        LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.small', BlockDeviceMappings: mapping(20) },
      }),
    );
    const id = lt.LaunchTemplate!.LaunchTemplateId!;
    const name = 'vol-workers-asg';
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        MinSize: 1,
        MaxSize: 3,
        DesiredCapacity: 1,
        LaunchTemplate: { LaunchTemplateId: id, Version: '1' },
        VPCZoneIdentifier: subnetId,
        Tags: [
          { Key: 'tugboat:cluster', Value: 'vol', PropagateAtLaunch: true },
          { Key: 'tugboat:role', Value: 'worker', PropagateAtLaunch: true },
          { Key: 'tugboat:group', Value: 'workers', PropagateAtLaunch: true },
        ],
      }),
    );
    const [first] = (await groupOf(name)).instances.map((i) => i.id);
    expect(await aws.ec2.describeAttachedVolumes([first!])).toContainEqual({
      instanceId: first,
      device: '/dev/xvda',
      size: 20,
    });
    await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        LaunchTemplateData: { ImageId: imageId, InstanceType: 't3.small', BlockDeviceMappings: mapping(40) },
      }),
    );
    await asg.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchTemplate: { LaunchTemplateId: id, Version: '2' },
      }),
    );
    const events: string[] = [];
    const ops = modelOps();
    // moto launches from the group's first template version's block devices (checked with boto3:
    // the surged instance gets 20 GiB again), which is exactly the group that would be replaced
    // forever: the loop replaces the old instance once, then stops naming the new one.
    const run = replaceOutdatedInstances({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      cluster: 'vol',
      groups: [await groupOf(name)],
      settle: () =>
        waitForGroups({
          ec2: aws.ec2,
          autoScaling: aws.autoScaling,
          cluster: 'vol',
          pollIntervalMs: 100,
          events: silentEvents,
        }),
      nodes: ops,
      events: { emit: (e) => events.push(e.message) },
    });
    await expect(run).rejects.toMatchObject({
      code: 'UPDATE_NOT_CONVERGING',
      message: expect.stringMatching(
        /^i-\w+, launched by this update in group workers, still differs from the launch template \(volume \/dev\/xvda 20 GiB, template says 40 GiB\)/,
      ),
    });
    expect(events[0]).toBe(
      `replacing ${first} of group workers (volume /dev/xvda 20 GiB, template says 40 GiB), new instance first`,
    );
    expect(ops.log).toContain(`remove ${first}`);
    expect((await groupOf(name)).instances.map((i) => i.id)).not.toContain(first);
  }, 120_000);

  it('replaces old-first in a group at its maximum size, and finishes a surge an interrupted run left behind', async () => {
    const name = await outdatedGroup('full', { desired: 2, max: 2 });
    const settle = () =>
      waitForGroups({
        ec2: aws.ec2,
        autoScaling: aws.autoScaling,
        cluster: 'full',
        pollIntervalMs: 100,
        events: silentEvents,
      });
    // Full group: no room to surge.
    const before = (await groupOf(name)).instances.map((i) => i.id).sort();
    const ops = modelOps();
    const replaced = await replaceOutdatedInstances({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      cluster: 'full',
      groups: [await groupOf(name)],
      settle,
      nodes: ops,
    });
    expect(replaced.map((r) => [r.instance, r.surge]).sort()).toEqual(before.map((id) => [id, false]));
    expect(ops.log[0]).toBe(`drain ${before[0]}`);
    expect(await instanceTypes(name)).toEqual(['t3.large', 't3.large']);
    expect((await groupOf(name)).desired).toBe(2);

    // An interrupted run: the group was tagged and raised to 3 for one old instance, then Ctrl-C.
    const resumed = await outdatedGroup('resume', { desired: 2, max: 4 });
    const old = (await groupOf(resumed)).instances.map((i) => i.id).sort();
    await asg.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          {
            ResourceId: resumed,
            ResourceType: 'auto-scaling-group',
            Key: SURGE_TAG,
            Value: old[1]!,
            PropagateAtLaunch: false,
          },
        ],
      }),
    );
    await aws.autoScaling.updateGroup({ name: resumed, desired: 3 });
    const again = await replaceOutdatedInstances({
      ec2: aws.ec2,
      autoScaling: aws.autoScaling,
      cluster: 'resume',
      groups: [await groupOf(resumed)],
      settle: () =>
        waitForGroups({
          ec2: aws.ec2,
          autoScaling: aws.autoScaling,
          cluster: 'resume',
          pollIntervalMs: 100,
          events: silentEvents,
        }),
      nodes: modelOps(),
    });
    // The tagged instance goes first, without a second surge; the group ends at 2, not 3.
    expect(again.map((r) => r.instance)).toEqual([old[1], old[0]]);
    const end = await groupOf(resumed);
    expect(end.desired).toBe(2);
    expect(end.instances).toHaveLength(2);
    expect(end.tags[SURGE_TAG]).toBeUndefined();
  }, 120_000);
});

describe('kubeNodeReplacementOps (real API server)', () => {
  let srv: RunningApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    srv = await startApiServer();
    client = new KubeClient({ server: srv.url, allowInsecureLoopback: true });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('waits for Ready, drains through evictions (out of load balancers, cordoned, pods gone) and deletes the Node; a missing node is no error', async () => {
    const node = (name: string, ready: boolean) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    });
    await client.create(resources.nodes, node('i-old', true));
    await client.create(resources.nodes, node('i-new', false));
    await client.create(
      resources.pods,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'web-1',
          namespace: 'default',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'u1', controller: true },
          ],
        },
        spec: { nodeName: 'i-old', containers: [{ name: 'c', image: 'busybox' }] },
      },
      'default',
    );
    const ops = kubeNodeReplacementOps(client, {
      pollIntervalMs: 50,
      readyTimeoutMs: 20_000,
      drainTimeoutMs: 20_000,
    });
    let readyResolved = false;
    const waiting = ops.waitReady('i-new').then(() => {
      readyResolved = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(readyResolved).toBe(false);
    const fresh = await client.get(resources.nodes, 'i-new');
    await client.updateStatus(resources.nodes, {
      ...fresh,
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    await waiting;
    // The node's agent, as far as deletion goes: a pod marked for deletion on i-old is removed.
    let agent = true;
    const kubelet = (async () => {
      for (let i = 0; agent && i < 400; i++) {
        const on = await client.list(resources.pods, { fieldSelector: { 'spec.nodeName': 'i-old' } });
        for (const p of on.items)
          if (p.metadata.deletionTimestamp)
            await client.delete(resources.pods, p.metadata.name!, {
              namespace: 'default',
              gracePeriodSeconds: 0,
            });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await ops.drain('i-old');
    agent = false;
    await kubelet;
    const drained = (await client.get(resources.nodes, 'i-old')) as {
      metadata: { labels?: Record<string, string> };
      spec?: { unschedulable?: boolean };
    };
    expect(drained.spec?.unschedulable).toBe(true);
    // Out of load balancers before its pods left (kOps' rolling update does the same).
    expect(drained.metadata.labels?.['node.kubernetes.io/exclude-from-external-load-balancers']).toBe('true');
    const pods = await client.list(resources.pods, { fieldSelector: { 'spec.nodeName': 'i-old' } });
    expect(pods.items).toEqual([]);
    await ops.remove('i-old');
    await expect(client.get(resources.nodes, 'i-old')).rejects.toThrow(/not found/);
    await ops.drain('i-gone');
    await ops.remove('i-gone');
  }, 60_000);
});
