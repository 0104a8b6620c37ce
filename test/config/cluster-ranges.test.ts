import { describe, expect, it } from 'vitest';
import { parseClusterSpec } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { baseSpec, type Spec } from './spec-fixture.js';

const base = baseSpec;

/** [what is wrong, network fields, path the error must name, text the message must contain] */
const cases: [string, Spec, string, string][] = [
  [
    'pod range overlaps the vpc',
    { podCidr: '10.0.128.0/17' },
    'network.podCidr',
    'overlaps the VPC 10.0.0.0/16',
  ],
  [
    'service range overlaps a given vpc',
    { vpcCidr: '10.96.0.0/16' },
    'network.serviceCidr',
    'overlaps the VPC 10.96.0.0/16: pick a range outside it',
  ],
  [
    'service range overlaps the pod range',
    { serviceCidr: '10.244.0.0/16' },
    'network.serviceCidr',
    'overlaps podCidr "10.244.0.0/16"',
  ],
  ['pod range not a cidr', { podCidr: '10.244.0.0/40' }, 'network.podCidr', 'is not a valid IPv4 CIDR'],
  ['pod range host bits', { podCidr: '10.244.1.0/16' }, 'network.podCidr', 'use 10.244.0.0/16'],
  [
    'service range too large',
    { serviceCidr: '10.0.0.0/8', vpcCidr: '172.16.0.0/16' },
    'network.serviceCidr',
    'must be /12 to /27',
  ],
  [
    'pod range on loopback',
    { podCidr: '127.16.0.0/16' },
    'network.podCidr',
    'overlaps 127.0.0.0/8 (loopback)',
  ],
  [
    'node block not smaller than the pod range',
    { podCidr: '10.244.0.0/24', nodePodCidrPrefix: 24 },
    'network.nodePodCidrPrefix',
    'use a prefix above /24',
  ],
  [
    'pod range too small for the group maxima',
    { podCidr: '10.244.0.0/23' },
    'network.podCidr',
    'holds 2 node blocks of /24, but the cluster can have 4 nodes (masters + workerGroups max): use podCidr /22 or larger',
  ],
];

describe('network.podCidr, nodePodCidrPrefix and serviceCidr', () => {
  it('defaults to 10.244.0.0/16 with /24 per node and 10.96.0.0/12', () => {
    const spec = parseClusterSpec(JSON.stringify(base()));
    expect(spec.network).toMatchObject({
      podCidr: '10.244.0.0/16',
      nodePodCidrPrefix: 24,
      serviceCidr: '10.96.0.0/12',
    });
  });

  it('accepts ranges that fit exactly (4 nodes, 4 blocks) next to an existing VPC', () => {
    const spec = base();
    spec.network = {
      vpcId: 'vpc-0abc',
      subnets: [
        { zone: 'us-east-1a', id: 'subnet-a' },
        { zone: 'us-east-1b', id: 'subnet-b' },
      ],
      podCidr: '10.0.0.0/22',
      serviceCidr: '10.1.0.0/27',
    };
    expect(parseClusterSpec(JSON.stringify(spec)).network).toMatchObject({ podCidr: '10.0.0.0/22' });
  });

  it.each(cases)('%s', (_what, network, path, fragment) => {
    const spec = base();
    spec.network = network;
    let error: unknown;
    try {
      parseClusterSpec(JSON.stringify(spec), 'cluster.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    const issue = issues.find((i) => i.path === path);
    expect(issue, `no issue at ${path}; got ${JSON.stringify(issues)}`).toBeDefined();
    expect(issue!.message).toContain(fragment);
    expect((error as ConfigError).exitCode).toBe(2);
  });
});
