import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { parseClusterSpec } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { baseSpec, type Spec } from './spec-fixture.js';

const base = baseSpec;

/** [what is wrong, mutation, path the error must name, text the message must contain] */
const cases: [string, (s: Spec) => void, string, string][] = [
  ['wrong apiVersion', (s) => (s.apiVersion = 'v1'), 'apiVersion', 'must be tugboat.dev/v1alpha1 (got "v1")'],
  ['wrong kind', (s) => (s.kind = 'Clusters'), 'kind', 'must be Cluster'],
  ['name not DNS-safe', (s) => (s.name = 'Demo_1'), 'name', '"Demo_1"'],
  ['name too long', (s) => (s.name = 'a'.repeat(33)), 'name', 'at most 32 characters'],
  ['unknown region', (s) => (s.region = 'us-est-1'), 'region', 'did you mean "us-east-1"?'],
  [
    'zone of another region',
    (s) => (s.availabilityZones = ['us-east-1a', 'eu-west-1b']),
    'availabilityZones[1]',
    'not in region us-east-1',
  ],
  [
    'backup schedule not cron',
    (s) => (s.backup = { schedule: 'every night' }),
    'backup.schedule',
    'must be a cron schedule like "0 3 * * *" (UTC): expected exactly 5 fields, found 2',
  ],
  [
    'backup retain zero',
    (s) => (s.backup = { schedule: '@daily', retain: 0 }),
    'backup.retain',
    'must be at least 1',
  ],
  [
    'duplicate zone',
    (s) => (s.availabilityZones = ['us-east-1a', 'us-east-1a']),
    'availabilityZones[1]',
    'listed twice',
  ],
  ['no zones', (s) => (s.availabilityZones = []), 'availabilityZones', 'needs at least 1'],
  [
    'desired above max',
    (s) => Object.assign(s.workerGroups[0], { desired: 7, max: 5 }),
    'workerGroups[0].desired',
    'desired (7) is above max (5): raise max or lower desired',
  ],
  [
    'min above max',
    (s) => Object.assign(s.workerGroups[0], { min: 4, max: 3, desired: 3 }),
    'workerGroups[0].min',
    'min (4) is above max (3)',
  ],
  [
    'desired below min',
    (s) => Object.assign(s.workerGroups[0], { min: 2, desired: 1 }),
    'workerGroups[0].desired',
    'below min (2)',
  ],
  [
    'desired not a number',
    (s) => (s.workerGroups[0].desired = 'two'),
    'workerGroups[0].desired',
    'expected number, got "two"',
  ],
  [
    'duplicate group',
    (s) => s.workerGroups.push({ name: 'workers' }),
    'workerGroups[1].name',
    'already used by workerGroups[0]',
  ],
  [
    'group ids collide',
    (s) => s.workerGroups.push({ name: 'a1' }, { name: 'a-1' }),
    'workerGroups[2].name',
    'same CloudFormation id A1',
  ],
  [
    'group zone outside the cluster',
    (s) => (s.workerGroups[0].zones = ['us-east-1c']),
    'workerGroups[0].zones[0]',
    'not one of availabilityZones',
  ],
  ['unknown key', (s) => (s.workerGroup = []), 'workerGroup', 'did you mean "workerGroups"?'],
  ['unknown nested key', (s) => (s.ssh.alowedCidrs = []), 'ssh.alowedCidrs', 'did you mean "allowedCidrs"?'],
  [
    'cidr prefix above 32',
    (s) => (s.ssh.allowedCidrs = ['10.0.0.0/33']),
    'ssh.allowedCidrs[0]',
    '"10.0.0.0/33" is not a valid IPv4 CIDR',
  ],
  [
    'cidr with host bits',
    (s) => (s.ssh.allowedCidrs = ['10.0.0.1/16']),
    'ssh.allowedCidrs[0]',
    'use 10.0.0.0/16',
  ],
  [
    'not a cidr',
    (s) => (s.api = { allowedCidrs: ['my-laptop'] }),
    'api.allowedCidrs[0]',
    'must be an IPv4 CIDR block',
  ],
  ['vpc too large', (s) => (s.network = { vpcCidr: '10.0.0.0/12' }), 'network.vpcCidr', 'must be /16 to /24'],
  [
    'subnet outside the vpc',
    (s) => (s.network = { subnets: [{ zone: 'us-east-1a', cidr: '192.168.0.0/24' }] }),
    'network.subnets[0].cidr',
    'not inside the VPC 10.0.0.0/16',
  ],
  [
    'overlapping subnets',
    (s) =>
      (s.network = {
        subnets: [
          { zone: 'us-east-1a', cidr: '10.0.0.0/24' },
          { zone: 'us-east-1b', cidr: '10.0.0.128/25' },
        ],
      }),
    'network.subnets[0].cidr',
    'overlaps "10.0.0.128/25"',
  ],
  [
    'existing vpc without subnets',
    (s) => (s.network = { vpcId: 'vpc-0abc' }),
    'network.subnets',
    'no subnet given for zones us-east-1a, us-east-1b: add { zone: us-east-1a, id: subnet-... }',
  ],
  [
    'existing vpc with a cidr',
    (s) =>
      (s.network = {
        vpcId: 'vpc-0abc',
        vpcCidr: '10.0.0.0/16',
        subnets: [
          { zone: 'us-east-1a', id: 'subnet-a' },
          { zone: 'us-east-1b', id: 'subnet-b' },
        ],
      }),
    'network.vpcCidr',
    'cannot be combined with vpcId',
  ],
  [
    'subnet id without vpc',
    (s) => (s.network = { subnets: [{ zone: 'us-east-1a', id: 'subnet-a' }] }),
    'network.subnets[0].id',
    'set network.vpcId',
  ],
  [
    'dns without master eip',
    (s) =>
      Object.assign(s, {
        api: { dns: { hostedZoneId: 'Z123', recordName: 'api.example.com' } },
        master: { eip: false },
      }),
    'api.dns',
    'set master.eip: true',
  ],
  [
    'bad hosted zone id',
    (s) => (s.api = { dns: { hostedZoneId: 'z-lower', recordName: 'api.example.com' } }),
    'api.dns.hostedZoneId',
    '"z-lower"',
  ],
  [
    'eip pool too small',
    (s) =>
      Object.assign(s, { eipPool: { size: 1 } }, { workerGroups: [{ name: 'edge', max: 3, eip: true }] }),
    'eipPool.size',
    'set eipPool.size to at least 3',
  ],
  ['reserved tag key', (s) => (s.tags = { 'aws:owner': 'me' }), 'tags["aws:owner"]', 'reserved prefix'],
  ['unknown store', (s) => (s.store = 'etdc'), 'store', 'did you mean "etcd"?'],
  [
    'unknown etcd source',
    (s) => Object.assign(s, { etcd: { source: 'relase' } }),
    'etcd.source',
    'did you mean "release"?',
  ],
  [
    'etcd mirror not a URL',
    (s) => Object.assign(s, { etcd: { mirror: 'mirror.example/etcd' } }),
    'etcd.mirror',
    'is not a URL like https://github.com/etcd-io/etcd/releases/download',
  ],
  [
    'etcd mirror with credentials',
    (s) => Object.assign(s, { etcd: { mirror: 'https://u:sekret@mirror.example/etcd' } }),
    'etcd.mirror',
    'credentials in the URL would be logged: give the mirror without them (got "https://***@mirror.example/etcd")',
  ],
  [
    'etcd mirror over ftp',
    (s) => Object.assign(s, { etcd: { mirror: 'ftp://mirror.example/etcd' } }),
    'etcd.mirror',
    'only http and https mirrors are supported',
  ],
  ['bad ami id', (s) => (s.master = { ami: 'ubuntu' }), 'master.ami', 'must be an AMI id'],
  [
    'bad taint effect',
    (s) => (s.workerGroups[0].taints = [{ key: 'gpu', effect: 'NoScheduling' }]),
    'workerGroups[0].taints[0].effect',
    'did you mean "NoSchedule"?',
  ],
  [
    'bad label key',
    (s) => (s.workerGroups[0].labels = { 'bad key!': 'x' }),
    'workerGroups[0].labels["bad key!"]',
    'must be a label key',
  ],
  [
    'bad instance type',
    (s) => (s.workerGroups[0].instanceType = 't3'),
    'workerGroups[0].instanceType',
    'like t3.medium (got "t3")',
  ],
  [
    'zones not a list',
    (s) => (s.availabilityZones = 'us-east-1a'),
    'availabilityZones',
    'expected array, got "us-east-1a"',
  ],
  [
    'taint without effect',
    (s) => (s.workerGroups[0].taints = [{ key: 'gpu' }]),
    'workerGroups[0].taints[0].effect',
    'missing: add effect (one of NoSchedule',
  ],
  [
    'two masters',
    (s) => (s.master = { count: 2 }),
    'master.count',
    '2 is even: etcd needs a majority (2 of 2) to write, so 2 masters survive 0 failures, no more than 1: use 1 or 3 (1, 3 or 5)',
  ],
  [
    'four masters',
    (s) => (s.master = { count: 4 }),
    'master.count',
    '4 is even: etcd needs a majority (3 of 4) to write, so 4 masters survive 1 failure, no more than 3: use 3 or 5',
  ],
  [
    'no masters',
    (s) => (s.master = { count: 0 }),
    'master.count',
    '0 masters leave no API server: use 1, 3 or 5',
  ],
  ['seven masters', (s) => (s.master = { count: 7 }), 'master.count', '7 masters: at most 5'],
  ['fractional masters', (s) => (s.master = { count: 1.5 }), 'master.count', 'expected int'],
  [
    'embedded store with three masters',
    (s) => Object.assign(s, { master: { count: 3 }, store: 'embedded' }),
    'store',
    '"embedded" keeps the state on one master\'s disk and cannot serve 3 masters: remove store',
  ],
  [
    'three masters in two zones',
    (s) => (s.master = { count: 3 }),
    'availabilityZones',
    "3 masters over 2 zones put 2 in us-east-1a, a majority: losing that zone would lose etcd's quorum. List at least 3 zones",
  ],
  [
    'five masters in one zone',
    (s) => Object.assign(s, { master: { count: 5 }, availabilityZones: ['us-east-1a'] }),
    'availabilityZones',
    '5 masters over 1 zone put 5 in us-east-1a',
  ],
  ['missing ssh', (s) => delete s.ssh, 'ssh', 'missing required object: add ssh'],
  [
    'no worker groups and an unschedulable master',
    (s) => {
      s.workerGroups = [];
      s.master = { schedulable: false };
    },
    'master.schedulable',
    'false leaves no node for pods',
  ],
];

describe('invalid cluster specs are rejected before any AWS call', () => {
  let connect: MockInstance;
  let fetchSpy: MockInstance;
  beforeAll(() => {
    connect = vi.spyOn(Socket.prototype, 'connect');
    fetchSpy = vi.spyOn(globalThis, 'fetch');
  });
  afterAll(() => {
    // Validation is pure: not one socket was opened for any of the cases.
    expect(connect).not.toHaveBeenCalled();
    expect(fetchSpy).not.toHaveBeenCalled();
    vi.restoreAllMocks();
  });

  it('accepts the base spec (so every rejection below is caused by its mutation)', () => {
    expect(parseClusterSpec(JSON.stringify(base())).name).toBe('demo');
  });

  it.each(cases)('%s', (_what, mutate, path, fragment) => {
    const spec = base();
    mutate(spec);
    let error: unknown;
    try {
      parseClusterSpec(JSON.stringify(spec, null, 2), 'cluster.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    const issue = issues.find((i) => i.path === path);
    expect(issue, `no issue at ${path}; got ${JSON.stringify(issues)}`).toBeDefined();
    expect(issue!.message).toContain(fragment);
    expect(
      issues.filter((i) => i.path === path),
      'one issue per path',
    ).toHaveLength(1);
    expect((error as ConfigError).message).toContain(`${path}: `);
    expect((error as ConfigError).exitCode).toBe(2);
  });

  it('accepts a backup schedule and keeps 7 backups unless told', () => {
    const spec = base();
    spec.backup = { schedule: '30 2 * * 0' };
    expect(parseClusterSpec(JSON.stringify(spec)).backup).toEqual({ schedule: '30 2 * * 0', retain: 7 });
  });

  it('has a good number of cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });
});
