import { describe, expect, it } from 'vitest';
import { bootstrapHostsFromCluster } from '../../src/bootstrap/cluster-hosts.js';
import { selectClusterHost } from '../../src/cluster/access.js';
import { UsageError } from '../../src/errors.js';
import type { ClusterInstances, Host } from '../../src/provision/cluster-instances.js';
import {
  buildClusterSettings,
  parseClusterSettings,
  renderClusterSettings,
} from '../../src/provision/template/settings.js';
import { loadExample } from '../support/examples.js';

// What `bootstrap/ssh/uninstall NAME` and `scale` read from a stack instead of the spec file.
describe('cluster settings (the BootstrapSettings stack output)', () => {
  it('round-trips the spec settings the commands on a running cluster need', () => {
    const settings = buildClusterSettings(loadExample('e2e'));
    expect(settings).toEqual({
      sshUser: 'ec2-user',
      sshAddress: 'private',
      podNetwork: { podCidr: '10.244.0.0/16', nodePodCidrPrefix: 24, serviceCidr: '10.96.0.0/12' },
      groupLabels: { green: { tier: 'green' } },
      store: 'embedded',
      eipGroups: ['blue', 'green'],
      masterSchedulable: false,
    });
    expect(parseClusterSettings(renderClusterSettings(settings))).toEqual(settings);
  });

  it('carries group taints as --taint takes them, the store and the API DNS name', () => {
    const az = buildClusterSettings(loadExample('three-az'));
    expect(az.groupTaints).toEqual({ arm: ['arch=arm64:NoSchedule'] });
    expect(parseClusterSettings(renderClusterSettings(az))).toEqual(az);
    const ha = buildClusterSettings(loadExample('ha-masters'));
    expect([ha.store, ha.apiDns]).toEqual(['etcd', 'api.ha-masters.example.com']);
    expect(parseClusterSettings(renderClusterSettings(ha))).toEqual(ha);
    // Hand edits of the new fields are ignored, not trusted.
    expect(
      parseClusterSettings(
        '{"sshUser":"u","sshAddress":"public","groupLabels":{},"eipGroups":[],"groupTaints":{"g":[1]},"store":"zk","apiDns":7}',
      ),
    ).toEqual({ sshUser: 'u', sshAddress: 'public', groupLabels: {}, eipGroups: [] });
  });

  it('carries a schedulable master (a single-node cluster), and reads older stacks without the field', () => {
    const single = buildClusterSettings(loadExample('single-node'));
    expect(single.masterSchedulable).toBe(true);
    expect(parseClusterSettings(renderClusterSettings(single))).toEqual(single);
    const older = '{"sshUser":"ec2-user","sshAddress":"public","groupLabels":{},"eipGroups":[]}';
    expect(parseClusterSettings(older)).toEqual({
      sshUser: 'ec2-user',
      sshAddress: 'public',
      groupLabels: {},
      eipGroups: [],
    });
  });

  it('reads anything else (older stacks, hand edits) as no settings', () => {
    for (const bad of [
      undefined,
      '',
      'not json',
      '[]',
      '{"sshUser":"ec2-user"}',
      '{"sshUser":"ec2-user","sshAddress":"both","groupLabels":{},"eipGroups":[]}',
      '{"sshUser":"ec2-user","sshAddress":"public","groupLabels":{"g":{"a":1}},"eipGroups":[]}',
      '{"sshUser":"ec2-user","sshAddress":"public","groupLabels":{},"eipGroups":"blue"}',
    ]) {
      expect(parseClusterSettings(bad), String(bad)).toBeUndefined();
    }
  });
});

const host = (id: string, role: 'master' | 'worker', group: string, privateIp: string): Host => ({
  id,
  role,
  group,
  zone: 'us-east-1a',
  lifecycleState: 'InService',
  state: 'running',
  privateIp,
});

describe('the hosts of a running cluster', () => {
  const inventory: ClusterInstances = {
    cluster: 'demo',
    groups: [],
    hosts: [
      host('i-m', 'master', 'master', '10.0.0.4'),
      host('i-b', 'worker', 'blue', '10.0.0.5'),
      host('i-g', 'worker', 'green', '10.0.0.6'),
    ],
  };
  const hosts = bootstrapHostsFromCluster(inventory, {
    user: 'ec2-user',
    address: 'private',
    groupLabels: { green: { tier: 'green' } },
    groupTaints: { blue: ['dedicated=batch:NoSchedule'] },
  });

  it('gives every worker its group, the group labels and the group taints', () => {
    expect(hosts.workers.map((w) => [w.name, w.group, w.labels, w.taints])).toEqual([
      ['i-b', 'blue', {}, ['dedicated=batch:NoSchedule']],
      ['i-g', 'green', { tier: 'green' }, undefined],
    ]);
    expect(hosts.master).not.toHaveProperty('group');
  });

  it('picks the master or an instance for tugboat ssh; an unknown id lists the valid ones', () => {
    expect(selectClusterHost(hosts, 'master').address).toBe('10.0.0.4');
    expect(selectClusterHost(hosts, 'i-g').address).toBe('10.0.0.6');
    expect(() => selectClusterHost(hosts, 'i-nope')).toThrow(UsageError);
    expect(() => selectClusterHost(hosts, 'i-nope')).toThrow(
      'instance "i-nope" is not a running instance of cluster demo: pick one of i-m (master), i-b (worker blue), i-g (worker green), or --master',
    );
  });
});
