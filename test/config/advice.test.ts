import { describe, expect, it } from 'vitest';
import { adviseClusterSpec, parseClusterSpec } from '../../src/config/index.js';

const spec = (extra: Record<string, unknown>) =>
  parseClusterSpec(
    JSON.stringify({
      apiVersion: 'tugboat.dev/v1alpha1',
      kind: 'Cluster',
      name: 'demo',
      region: 'us-east-1',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      ssh: { allowedCidrs: ['203.0.113.0/24'] },
      workerGroups: [{ name: 'workers' }],
      ...extra,
    }),
  );

describe('adviseClusterSpec', () => {
  it('has nothing to say about a careful spec', () => {
    expect(adviseClusterSpec(spec({}))).toEqual([]);
  });

  it('points out open ssh, open api, a single zone and idle pool addresses', () => {
    const advice = adviseClusterSpec(
      spec({
        availabilityZones: ['us-east-1a'],
        ssh: { allowedCidrs: ['0.0.0.0/0'] },
        workerGroups: [{ name: 'edge', max: 2, eip: true }],
        eipPool: { size: 5 },
      }),
    );
    expect(advice.map((a) => a.path)).toEqual([
      'ssh.allowedCidrs',
      'api.allowedCidrs',
      'availabilityZones',
      'eipPool.size',
    ]);
    expect(advice[3]?.message).toContain('3 of 5 pool addresses can never be used');
  });
});
