import { describe, expect, it } from 'vitest';
import { failuresTolerated, masterZones, parseClusterSpec, quorumOf } from '../../src/config/index.js';
import { baseSpec } from './spec-fixture.js';

const threeZones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

function parse(mutate: (s: ReturnType<typeof baseSpec>) => void) {
  const s = baseSpec();
  mutate(s);
  return parseClusterSpec(JSON.stringify(s), 'cluster.json');
}

describe('master.count', () => {
  it('defaults to one master on the embedded store', () => {
    const spec = parse(() => {});
    expect(spec.master.count).toBe(1);
    expect(spec.store).toBe('embedded');
  });

  it('keeps store: etcd with one master', () => {
    expect(parse((s) => (s.store = 'etcd')).store).toBe('etcd');
  });

  it.each([3, 5])('%i masters over three zones run on etcd without saying so', (count) => {
    const spec = parse((s) => Object.assign(s, { availabilityZones: threeZones, master: { count } }));
    expect(spec.master.count).toBe(count);
    expect(spec.store).toBe('etcd');
  });

  it('accepts store: etcd written out with three masters', () => {
    const spec = parse((s) =>
      Object.assign(s, { availabilityZones: threeZones, master: { count: 3 }, store: 'etcd' }),
    );
    expect(spec.store).toBe('etcd');
  });

  it('counts the masters in the pod range sizing', () => {
    // A /23 holds two /24 node blocks: one master and one worker fit, three masters do not.
    expect(() =>
      parse((s) =>
        Object.assign(s, {
          availabilityZones: threeZones,
          master: { count: 3 },
          network: { podCidr: '10.244.0.0/21' },
          workerGroups: [{ name: 'workers', min: 1, max: 6, desired: 1 }],
        }),
      ),
    ).toThrow(
      /holds 8 node blocks of \/24, but the cluster can have 9 nodes \(masters \+ workerGroups max\)/,
    );
  });
});

describe('quorum arithmetic', () => {
  it('needs a majority and tolerates the rest', () => {
    expect([1, 2, 3, 4, 5].map(quorumOf)).toEqual([1, 2, 2, 3, 3]);
    expect([1, 2, 3, 4, 5].map(failuresTolerated)).toEqual([0, 0, 1, 1, 2]);
  });
});

describe('masterZones', () => {
  it('spreads masters round robin over the zones in their order', () => {
    expect(masterZones(1, threeZones)).toEqual(['us-east-1a']);
    expect(masterZones(3, threeZones)).toEqual(threeZones);
    expect(masterZones(5, threeZones)).toEqual([...threeZones, 'us-east-1a', 'us-east-1b']);
    expect(masterZones(3, [...threeZones, 'us-east-1d'])).toEqual(threeZones);
  });
});
