import { describe, expect, it } from 'vitest';
import type { AutoScalingApi } from '../../src/aws/autoscaling.js';
import type { Ec2Address, Ec2Api } from '../../src/aws/ec2.js';
import { AwsCallError } from '../../src/aws/errors.js';
import { DeploymentError, RecordingEvents, UsageError } from '../../src/index.js';
import { assignEips } from '../../src/provision/eip.js';

const cluster = 'demo';
const tag = { 'tugboat:cluster': cluster };

/**
 * Fake EC2 addresses with AWS's association rule: AllowReassociation=false on an address that is
 * already associated fails with Resource.AlreadyAssociated. `rival` associates an address with
 * another instance just before our call, like a second tugboat or a node agent racing us.
 */
function fakes(
  pools: string[],
  rival?: { allocationId: string; instanceId: string },
  eipGroups: readonly string[] = ['edge'],
) {
  const addresses: Ec2Address[] = pools.map((pool, i) => ({
    allocationId: `eipalloc-${i}`,
    publicIp: `198.51.100.${i + 1}`,
    tags: { ...tag, 'tugboat:pool': pool },
  }));
  const calls: string[] = [];
  let raced = false;
  const ec2 = {
    async describeInstances() {
      return [];
    },
    async describeAddresses(filters: readonly { name: string; values: readonly string[] }[]) {
      const byInstance = filters.find((f) => f.name === 'instance-id');
      return addresses.filter(
        (a) => !byInstance || (a.instanceId && byInstance.values.includes(a.instanceId)),
      );
    },
    async associateAddress(input: { allocationId: string; instanceId: string; allowReassociation: boolean }) {
      calls.push(`${input.allocationId}→${input.instanceId}`);
      expect(input.allowReassociation).toBe(false);
      if (rival && !raced && input.allocationId === rival.allocationId) {
        raced = true;
        const i = addresses.findIndex((a) => a.allocationId === rival.allocationId);
        addresses[i] = { ...addresses[i]!, instanceId: rival.instanceId, associationId: 'eipassoc-rival' };
      }
      const i = addresses.findIndex((a) => a.allocationId === input.allocationId);
      if (addresses[i]?.associationId) {
        throw new AwsCallError('ec2:AssociateAddress', 'Resource.AlreadyAssociated', 'in use', undefined);
      }
      addresses[i] = { ...addresses[i]!, instanceId: input.instanceId, associationId: `eipassoc-${i}` };
      return `eipassoc-${i}`;
    },
  } as unknown as Ec2Api;
  const group = (name: string, role: string, ids: string[]) => ({
    name: `asg-${name}`,
    min: 0,
    max: 5,
    desired: ids.length,
    tags: {
      ...tag,
      'tugboat:role': role,
      ...(role === 'worker' ? { 'tugboat:group': name } : {}),
      ...(eipGroups.includes(name) ? { 'tugboat:eip': 'true' } : {}),
    },
    instances: ids.map((id) => ({
      id,
      zone: 'us-east-1a',
      lifecycleState: 'InService',
      healthStatus: 'Healthy',
    })),
  });
  const autoScaling = {
    async describeGroups() {
      return [
        group('master', 'master', ['i-m']),
        group('edge', 'worker', ['i-e1', 'i-e2']),
        group('web', 'worker', ['i-w1']),
      ];
    },
  } as unknown as AutoScalingApi;
  return { ec2, autoScaling, calls, addresses };
}

describe('assignEips', () => {
  it('on a race, takes another free address and never reassociates', async () => {
    const f = fakes(['workers', 'workers', 'workers'], {
      allocationId: 'eipalloc-0',
      instanceId: 'i-elsewhere',
    });
    const events = new RecordingEvents();
    const r = await assignEips({ ...f, cluster, events, group: 'edge' });
    expect(r.assigned.map((a) => `${a.allocationId}→${a.instanceId}`)).toEqual([
      'eipalloc-1→i-e1',
      'eipalloc-2→i-e2',
    ]);
    expect(f.calls[0]).toBe('eipalloc-0→i-e1');
    expect(f.addresses[0]?.instanceId).toBe('i-elsewhere');
    expect(events.codes()).toContain('eip.race');
  });

  it('keeps the master pool for the master and is idempotent', async () => {
    const f = fakes(['master', 'workers']);
    const first = await assignEips({ ...f, cluster, events: new RecordingEvents(), groups: ['master'] });
    expect(first.assigned.map((a) => `${a.allocationId}→${a.instanceId}`)).toEqual(['eipalloc-0→i-m']);
    const again = await assignEips({ ...f, cluster, events: new RecordingEvents(), groups: ['master'] });
    expect(again).toEqual({ assigned: [], alreadyAssigned: ['i-m'] });
  });

  it('says how to grow the pool when it runs dry, after assigning what it can', async () => {
    const f = fakes(['workers']);
    const err = await assignEips({ ...f, cluster, events: new RecordingEvents() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeploymentError);
    expect((err as Error).message).toMatch(/no free pool EIP for i-e2 \(assigned 1\): raise eipPool\.size/);
    expect(f.addresses[0]?.instanceId).toBe('i-e1');
  });

  it('without --group or --instance serves only the groups tagged tugboat:eip=true', async () => {
    const f = fakes(['workers', 'workers', 'workers', 'workers']);
    const r = await assignEips({ ...f, cluster, events: new RecordingEvents() });
    expect(r.assigned.map((a) => a.instanceId)).toEqual(['i-e1', 'i-e2']);
    expect(f.addresses.filter((a) => a.instanceId).map((a) => a.instanceId)).toEqual(['i-e1', 'i-e2']);
  });

  it('says so when no group wants EIPs, and assigns nothing', async () => {
    const f = fakes(['workers'], undefined, []);
    const err = await assignEips({ ...f, cluster, events: new RecordingEvents() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(
      'no group of cluster demo has eip: true: set eip: true on a worker group in the cluster spec and run `tugboat update`, or name one with --group or --instance',
    );
    expect(f.calls).toEqual([]);
  });

  it('frees addresses still held by instances that are gone, never those of live instances', async () => {
    // An update replaced the group's instances: the old ones are terminated (or unknown to EC2)
    // and still hold their pool addresses; an instance outside the cluster is running.
    const f = fakes(['workers', 'workers', 'workers']);
    const held = ['i-terminated', 'i-running-elsewhere', 'i-vanished'];
    held.forEach((id, i) => {
      f.addresses[i] = { ...f.addresses[i]!, instanceId: id, associationId: `eipassoc-old-${i}` };
    });
    const asked: string[][] = [];
    const released: string[] = [];
    Object.assign(f.ec2, {
      async describeInstances(filters: readonly { name: string; values: readonly string[] }[]) {
        const ids = filters.find((x) => x.name === 'instance-id')?.values ?? [];
        asked.push([...ids]);
        return [
          { id: 'i-terminated', state: 'terminated', tags: {} },
          { id: 'i-running-elsewhere', state: 'running', tags: {} },
        ].filter((i) => ids.includes(i.id));
      },
      async disassociateAddress(associationId: string) {
        released.push(associationId);
        const i = f.addresses.findIndex((a) => a.associationId === associationId);
        const { instanceId: _i, associationId: _a, ...rest } = f.addresses[i]!;
        f.addresses[i] = rest;
      },
    });
    const events = new RecordingEvents();
    const r = await assignEips({ ...f, cluster, events, group: 'edge' });
    expect(asked.at(-1)).toEqual(held);
    expect(released.sort()).toEqual(['eipassoc-old-0', 'eipassoc-old-2']);
    expect(f.addresses[1]?.instanceId).toBe('i-running-elsewhere');
    expect(r.assigned.map((a) => `${a.allocationId}→${a.instanceId}`)).toEqual([
      'eipalloc-0→i-e1',
      'eipalloc-2→i-e2',
    ]);
    expect(events.codes().filter((c) => c === 'eip.released-stale')).toHaveLength(2);
  });

  it('rejects an unknown group, naming the groups there are', async () => {
    const f = fakes([]);
    await expect(assignEips({ ...f, cluster, events: new RecordingEvents(), group: 'nope' })).rejects.toThrow(
      'group "nope" not found in cluster demo: groups are master, edge, web',
    );
  });
});
