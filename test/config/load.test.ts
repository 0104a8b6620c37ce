import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  KNOWN_REGIONS,
  loadClusterSpec,
  parseClusterSpec,
  renderExampleSpec,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

const minimal = `apiVersion: tugboat.dev/v1alpha1
kind: Cluster
name: demo
region: us-east-1
availabilityZones: [us-east-1a, us-east-1b]
ssh:
  allowedCidrs: [203.0.113.0/24]
workerGroups:
  - name: workers
`;

function issuesOf(text: string) {
  try {
    parseClusterSpec(text, 'cluster.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected the spec to be rejected');
}

const defaultRanges = { podCidr: '10.244.0.0/16', nodePodCidrPrefix: 24, serviceCidr: '10.96.0.0/12' };
describe('parseClusterSpec', () => {
  it('applies defaults and derives one subnet per zone', () => {
    const spec = parseClusterSpec(minimal);
    expect(spec.network).toEqual({
      ...defaultRanges,
      kind: 'new',
      vpcCidr: '10.0.0.0/16',
      subnets: [
        { zone: 'us-east-1a', cidr: '10.0.0.0/20' },
        { zone: 'us-east-1b', cidr: '10.0.16.0/20' },
      ],
    });
    expect(spec.ssh).toEqual({ user: 'ec2-user', allowedCidrs: ['203.0.113.0/24'], address: 'public' });
    expect(spec.api.allowedCidrs).toEqual(['203.0.113.0/24']);
    expect(spec.master).toEqual({
      instanceType: 't3.medium',
      volumeSize: 20,
      count: 1,
      eip: true,
      schedulable: false,
    });
    expect(spec.workerGroups[0]).toMatchObject({
      min: 1,
      max: 3,
      desired: 1,
      eip: false,
      zones: ['us-east-1a', 'us-east-1b'],
    });
    expect(spec.eipPool.size).toBe(0);
    expect(spec.store).toBe('embedded');
  });

  it('makes a spec without worker groups a single-node cluster: the master runs pods', () => {
    const single = parseClusterSpec(minimal.replace(/workerGroups:\n {2}- name: workers\n/, ''));
    expect(single.workerGroups).toEqual([]);
    expect(single.master.schedulable).toBe(true);
    const both = parseClusterSpec(`${minimal}master:\n  schedulable: true\n`);
    expect(both.master.schedulable).toBe(true);
    expect(both.workerGroups).toHaveLength(1);
  });

  it('accepts the same spec as JSON', () => {
    const yamlSpec = parseClusterSpec(minimal);
    const jsonSpec = parseClusterSpec(JSON.stringify({ ...yamlSpec, network: { vpcCidr: '10.0.0.0/16' } }));
    expect(jsonSpec).toEqual(yamlSpec);
  });

  it('uses an existing VPC and its subnets in zone order', () => {
    const spec = parseClusterSpec(
      `${minimal}network:\n  vpcId: vpc-0abc\n  subnets:\n    - { zone: us-east-1b, id: subnet-b }\n    - { zone: us-east-1a, id: subnet-a }\n`,
    );
    expect(spec.network).toEqual({
      ...defaultRanges,
      kind: 'existing',
      vpcId: 'vpc-0abc',
      subnets: [
        { zone: 'us-east-1a', id: 'subnet-a' },
        { zone: 'us-east-1b', id: 'subnet-b' },
      ],
    });
  });

  it('reports yaml syntax errors with the line', () => {
    const [issue] = issuesOf('name: [demo\nregion: us-east-1\n');
    expect(issue?.message).toMatch(/^line 2, column 1: .*fix the yaml\/json syntax$/);
  });

  it('suggests the right key for a typo and shows the line', () => {
    const issues = issuesOf(minimal.replace('workerGroups:', 'workerGroup:'));
    expect(issues).toContainEqual({
      path: 'workerGroup',
      message: 'unknown key "workerGroup": did you mean "workerGroups"? (line 8)',
    });
  });

  it('checks the rest of the spec when the only field-level problems are unknown keys', () => {
    const issues = issuesOf(
      minimal.replace('ssh:', 'netwrok: {}\nssh:').replace('us-east-1b]', 'us-east-2b]'),
    );
    expect(issues.map((i) => i.path)).toEqual(['netwrok', 'availabilityZones[1]']);
  });

  it('reports every semantic issue at once', () => {
    const issues = issuesOf(`${minimal}    desired: 7\n    max: 5\n  - name: workers\n`);
    expect(issues.map((i) => i.path)).toEqual(['workerGroups[0].desired', 'workerGroups[1].name']);
    expect(issues[0]?.message).toBe('desired (7) is above max (5): raise max or lower desired (line 10)');
  });
});

describe('loadClusterSpec', () => {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-config-${process.pid}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', async () => {
    const file = join(dir, 'cluster.yaml');
    writeFileSync(file, minimal.replace('us-east-1b]', 'us-west-2b]'));
    await expect(loadClusterSpec(file)).rejects.toThrow(`invalid cluster spec in ${file}`);
    writeFileSync(file, minimal);
    expect((await loadClusterSpec(file)).name).toBe('demo');
  });

  it('explains a missing file', async () => {
    await expect(loadClusterSpec(join(dir, 'nope.yaml'))).rejects.toThrow(/no such file.*tugboat init/);
  });
});

describe('renderExampleSpec', () => {
  it.each(KNOWN_REGIONS)('is a valid spec in %s, with a 32-character name', (region) => {
    const name = `c${'x'.repeat(30)}1`;
    const spec = parseClusterSpec(renderExampleSpec({ name, region }));
    expect(spec).toMatchObject({ name, region, availabilityZones: [`${region}a`, `${region}b`] });
  });
});
