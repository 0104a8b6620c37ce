import { describe, expect, it } from 'vitest';
import { etcdHealthProblem } from '../../src/upgrade/etcd-health.js';

const member = (name: string, healthy = true, problem?: string) => ({
  name,
  clientUrl: `https://${name}:2379`,
  healthy,
  ...(problem ? { problem } : {}),
});

describe('etcdHealthProblem', () => {
  it('is undefined when every master is a listed, healthy member', () => {
    expect(
      etcdHealthProblem({ members: [member('m1'), member('m2'), member('m3')] }, ['m1', 'm2', 'm3']),
    ).toBe(undefined);
  });

  it('names every unhealthy, missing or unstarted member with the reason', () => {
    const report = {
      members: [
        member('m1'),
        member('m2', false, 'no answer within 3 s'),
        { name: '', clientUrl: '', healthy: false, problem: 'not started (no client URL)' },
      ],
    };
    expect(etcdHealthProblem(report, ['m1', 'm2', 'm3'])).toBe(
      'etcd: member m3 is not in the member list; member m2 https://m2:2379 is not healthy: no answer within 3 s; member (unstarted) is not healthy: not started (no client URL)',
    );
  });

  it('reports a member list nobody answered', () => {
    expect(etcdHealthProblem({ error: 'no member answered the member list: x: ECONNREFUSED' }, ['m1'])).toBe(
      'etcd: no member answered the member list: x: ECONNREFUSED',
    );
  });
});
