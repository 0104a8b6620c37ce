import { describe, expect, it } from 'vitest';
import { type EtcdProbe, etcdHealthProblem, summarizeEtcdHealth } from '../../src/bootstrap/etcd-health.js';

const members = [1, 2, 3].map((n) => ({ name: `m${n}`, address: `10.0.${n}.5` }));
const urls = members.map((m) => `https://${m.address}:2379`);
const registered = members.map((m, i) => ({
  ID: String(100 + i),
  name: m.name,
  peerURLs: [`https://${m.address}:2380`],
  clientURLs: [urls[i]!],
}));
const up = (i: number): EtcdProbe => ({
  clientUrl: urls[i]!,
  healthy: true,
  reachable: true,
  memberId: String(100 + i),
  leaderId: '100',
  revision: 42,
});
const down = (i: number): EtcdProbe => ({
  clientUrl: urls[i]!,
  healthy: false,
  reachable: false,
  error: 'connect ECONNREFUSED',
});

describe('summarizeEtcdHealth', () => {
  it('three healthy members: healthy, the leader marked', () => {
    const h = summarizeEtcdHealth(members, urls, [up(0), up(1), up(2)], registered);
    expect(h).toMatchObject({ healthy: true, quorum: true, size: 3, healthyCount: 3, down: [] });
    expect(h.summary).toBe('3/3 etcd members healthy');
    expect(h.members.map((m) => [m.name, m.id, m.isLeader])).toEqual([
      ['m1', '100', true],
      ['m2', '101', false],
      ['m3', '102', false],
    ]);
  });

  it('one member down: quorum kept, the member named', () => {
    const h = summarizeEtcdHealth(members, urls, [down(0), up(1), up(2)], registered);
    expect(h).toMatchObject({ healthy: false, quorum: true, down: ['m1'] });
    expect(h.summary).toBe('etcd has quorum (2/3 healthy, 2 needed); down: m1');
  });

  it('two of three down: quorum lost, both named', () => {
    const alone: EtcdProbe = {
      clientUrl: urls[2]!,
      healthy: false,
      reachable: true,
      memberId: '102',
      error: 'not healthy: no leader or no quorum',
    };
    const h = summarizeEtcdHealth(members, urls, [down(0), down(1), alone], registered);
    expect(h).toMatchObject({ healthy: false, quorum: false, healthyCount: 0, down: ['m1', 'm2', 'm3'] });
    expect(h.summary).toBe('etcd has lost quorum: 0/3 members healthy, 2 needed to write; down: m1, m2, m3');
    expect(h.members[2]).toMatchObject({ reachable: true, healthy: false });
  });

  it('a registered member that is no master (a replaced one) counts, and a master not registered is reported', () => {
    const stale = {
      ID: '999',
      name: 'old',
      peerURLs: ['https://10.0.9.5:2380'],
      clientURLs: ['https://10.0.9.5:2379'],
    };
    const h = summarizeEtcdHealth(
      members,
      urls,
      [
        up(0),
        up(1),
        down(2),
        { clientUrl: 'https://10.0.9.5:2379', healthy: false, reachable: false, error: 'timeout' },
      ],
      [registered[0]!, registered[1]!, stale],
    );
    expect(h.size).toBe(3);
    expect(h.members.map((m) => [m.name, m.expected, m.registered])).toEqual([
      ['m1', true, true],
      ['m2', true, true],
      ['m3', true, false],
      ['old', false, true],
    ]);
    expect(h.down).toEqual(['m3', 'old']);
    expect(h.summary).toContain('not members: m3');
  });

  it('no member list (nothing reachable): the expected members are the size', () => {
    const h = summarizeEtcdHealth(members, urls, [down(0), down(1), down(2)], undefined);
    expect(h).toMatchObject({ size: 3, quorum: false, down: ['m1', 'm2', 'm3'] });
  });
});

describe('etcdHealthProblem (what keeps a roll from going on)', () => {
  it('is undefined when every master is a registered, healthy member', () => {
    expect(etcdHealthProblem(summarizeEtcdHealth(members, urls, [up(0), up(1), up(2)], registered))).toBe(
      undefined,
    );
  });

  it('leaves out the master about to be reinstalled, and only it', () => {
    const h = summarizeEtcdHealth(members, urls, [up(0), up(1), down(2)], registered);
    expect(etcdHealthProblem(h, 'm3')).toBe(undefined);
    expect(etcdHealthProblem(h, 'm1')).toBe(
      'etcd: member m3 https://10.0.3.5:2379 is not healthy: connect ECONNREFUSED',
    );
  });

  it('names a master missing from the member list, an unhealthy stale member and one never started', () => {
    const stale = { ID: '999', name: 'old', clientURLs: ['https://10.0.9.5:2379'] };
    const unstarted = { ID: '998', name: '', peerURLs: ['https://10.0.4.5:2380'] };
    const h = summarizeEtcdHealth(
      members,
      urls,
      [
        up(0),
        up(1),
        { clientUrl: 'https://10.0.9.5:2379', healthy: false, reachable: false, error: 'timeout' },
      ],
      [registered[0]!, registered[1]!, stale, unstarted],
    );
    expect(etcdHealthProblem(h)).toBe(
      'etcd: member m3 is not in the member list; member (unstarted) is not healthy: no client URL: added but never started; member old https://10.0.9.5:2379 is not healthy: timeout',
    );
  });

  it('says when no member answered the member list', () => {
    const h = summarizeEtcdHealth(members, urls, [down(0), down(1), down(2)], undefined);
    expect(etcdHealthProblem(h, 'm3')).toBe(
      'etcd: no member answered the member list; member m1 https://10.0.1.5:2379 is not healthy: connect ECONNREFUSED; member m2 https://10.0.2.5:2379 is not healthy: connect ECONNREFUSED',
    );
  });
});
