import { describe, expect, it } from 'vitest';
import type { EtcdClusterHealth, EtcdMemberState } from '../../src/bootstrap/etcd-health.js';
import { planEtcdJoin } from '../../src/bootstrap/etcd-join.js';

const masters = [1, 2, 3].map((n) => ({ name: `m${n}`, address: `10.0.${n}.5` }));
const member = (n: number, over: Partial<EtcdMemberState> = {}): EtcdMemberState => ({
  name: `m${n}`,
  id: String(100 + n),
  clientUrl: `https://10.0.${n}.5:2379`,
  peerUrls: [`https://10.0.${n}.5:2380`],
  expected: true,
  registered: true,
  started: true,
  reachable: true,
  healthy: true,
  isLeader: n === 2,
  ...over,
});
const health = (members: EtcdMemberState[]): EtcdClusterHealth => {
  const healthyCount = members.filter((m) => m.healthy && m.registered).length;
  return {
    members,
    size: members.filter((m) => m.registered).length,
    healthyCount,
    quorum: healthyCount > 0,
    healthy: false,
    down: [],
    summary: '',
  };
};
const dead = { reachable: false, healthy: false } as const;

describe('planEtcdJoin (a master without etcd data)', () => {
  it('nothing healthy to join: forms the cluster (a first run)', () => {
    expect(
      planEtcdJoin(masters[0]!, masters, health([member(1, dead), member(2, dead), member(3, dead)])),
    ).toEqual({
      kind: 'form',
    });
  });

  it('the same name, wiped: removes its old member, then joins', () => {
    const plan = planEtcdJoin(masters[0]!, masters, health([member(1, dead), member(2), member(3)]));
    expect(plan.kind).toBe('join');
    expect(plan.kind === 'join' && plan.remove.map((m) => m.id)).toEqual(['101']);
  });

  it('a master that never started in a cluster formed with it: starts as a new member (the formation race)', () => {
    const late = member(3, { ...dead, started: false, clientUrl: 'https://10.0.3.5:2379' });
    expect(planEtcdJoin(masters[2]!, masters, health([member(1), member(2), late]))).toEqual({
      kind: 'form',
    });
  });

  it('a member added by an earlier run that stopped before starting it is reused, not added twice', () => {
    const added = member(1, { ...dead, name: '', started: false });
    const plan = planEtcdJoin(masters[0]!, masters, health([member(2), member(3), added]));
    expect(plan).toMatchObject({ kind: 'join', remove: [], reuse: { id: '101' } });
  });

  it('a replacement at a new address: the dead member that is no master is removed', () => {
    const replacement = { name: 'm1b', address: '10.0.9.5' };
    const old = member(1, { ...dead, expected: false });
    const plan = planEtcdJoin(
      replacement,
      [replacement, masters[1]!, masters[2]!],
      health([member(2), member(3), old]),
    );
    expect(plan.kind === 'join' && plan.remove.map((m) => m.name)).toEqual(['m1']);
  });

  it('a member that is no master but answers is left alone', () => {
    const replacement = { name: 'm1b', address: '10.0.9.5' };
    const other = member(1, { expected: false });
    const plan = planEtcdJoin(
      replacement,
      [replacement, masters[1]!, masters[2]!],
      health([member(2), member(3), other]),
    );
    expect(plan.kind === 'join' && plan.remove).toEqual([]);
  });

  it('refuses to replace a member that is healthy under the same name', () => {
    expect(() => planEtcdJoin(masters[0]!, masters, health([member(1), member(2), member(3)]))).toThrow(
      /etcd member m1 .* is healthy, but m1 has no etcd data/,
    );
  });

  it('never changes membership below a majority: 5 members, 2 healthy is no quorum to join', () => {
    const five = [1, 2, 3, 4, 5].map((n) => ({ name: `m${n}`, address: `10.0.${n}.5` }));
    const h = health([member(1, dead), member(2), member(3), member(4, dead), member(5, dead)]);
    expect(() => planEtcdJoin(five[0]!, five, h)).toThrow(
      /removing member m1 would leave 4 etcd members with 2 healthy, fewer than the 3 a majority needs/,
    );
  });
});
