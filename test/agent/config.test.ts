import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadAgentConfig, parseLabels, parseTaint } from '../../src/agent/config.js';
import { buildNodeLabels } from '../../src/agent/node-object.js';

it('parses taints and labels and rejects bad ones with the value and the fix', () => {
  expect(parseTaint('dedicated=gpu:NoSchedule')).toEqual({
    key: 'dedicated',
    value: 'gpu',
    effect: 'NoSchedule',
  });
  expect(parseTaint('spot:NoExecute')).toEqual({ key: 'spot', effect: 'NoExecute' });
  expect(() => parseTaint('x=y:Sometimes')).toThrow(/"x=y:Sometimes".*key=value:Effect/);
  expect(parseLabels('a=b, c=d')).toEqual({ a: 'b', c: 'd' });
  expect(() => parseLabels('novalue')).toThrow(/"novalue"/);
});

it('merges flags over a YAML file and names bad fields by path', () => {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-agentcfg-${process.pid}-`));
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, 'server: https://10.0.0.5:6443\nruntime: process\nlabels: {team: a}\n');
  const config = loadAgentConfig(file, { runtime: undefined, nodeName: 'n1', taints: ['a:NoSchedule'] });
  expect(config).toMatchObject({
    server: 'https://10.0.0.5:6443',
    runtime: 'process',
    nodeName: 'n1',
    labels: { team: 'a' },
    imds: 'auto',
    listen: '0.0.0.0:10250',
  });
  writeFileSync(file, 'server: https://x:6443\nruntime: podman\n');
  expect(() => loadAgentConfig(file, {})).toThrow(/runtime/);
  rmSync(dir, { recursive: true, force: true });
});

it('builds the well-known node labels from the identity', () => {
  expect(
    buildNodeLabels(
      {
        name: 'i-1',
        hostname: 'ip-10-0-0-4',
        internalIP: '10.0.0.4',
        zone: 'eu-west-1a',
        region: 'eu-west-1',
        instanceType: 't3.small',
        group: 'gpu',
      },
      { extra: 'x' },
    ),
  ).toMatchObject({
    'kubernetes.io/hostname': 'ip-10-0-0-4',
    'topology.kubernetes.io/zone': 'eu-west-1a',
    'topology.kubernetes.io/region': 'eu-west-1',
    'node.kubernetes.io/instance-type': 't3.small',
    'tugboat.dev/group': 'gpu',
    extra: 'x',
  });
});
