import { describe, expect, it } from 'vitest';
import { bootstrapHostsFromCluster } from '../../src/bootstrap/cluster-hosts.js';
import type { ClusterInstances, Host } from '../../src/provision/cluster-instances.js';

const host = (over: Partial<Host> & Pick<Host, 'id' | 'role'>): Host => ({
  group: over.role === 'master' ? 'master' : 'workers',
  zone: 'us-east-1a',
  lifecycleState: 'InService',
  state: 'running',
  privateIp: '10.0.1.4',
  ...over,
});

const inventory: ClusterInstances = {
  cluster: 'demo',
  groups: [],
  hosts: [
    host({
      id: 'i-master',
      role: 'master',
      privateIp: '10.0.1.4',
      publicIp: '203.0.113.4',
      eip: { allocationId: 'eipalloc-1', publicIp: '198.51.100.9' },
    }),
    host({ id: 'i-w1', role: 'worker', privateIp: '10.0.1.5', publicIp: '203.0.113.5' }),
    host({ id: 'i-w2', role: 'worker', privateIp: '10.0.2.6', publicIp: '203.0.113.6' }),
    host({
      id: 'i-gone',
      role: 'worker',
      state: 'terminated',
      lifecycleState: 'Terminating',
      publicIp: '203.0.113.7',
    }),
  ],
};

describe('bootstrapHostsFromCluster', () => {
  it('uses the EIP, then the public IP, names hosts by instance id and skips terminating instances', () => {
    const inv = bootstrapHostsFromCluster(inventory, {
      user: 'ec2-user',
      address: 'public',
      privateKeyFile: '/k',
    });
    expect(inv.master).toEqual({
      name: 'i-master',
      address: '198.51.100.9',
      port: 22,
      user: 'ec2-user',
      role: 'master',
    });
    expect(inv.workers.map((w) => [w.name, w.address])).toEqual([
      ['i-w1', '203.0.113.5'],
      ['i-w2', '203.0.113.6'],
    ]);
    expect(inv.privateKeyFile).toBe('/k');
    expect(inv.runtime).toBe('docker');
  });

  it('uses private addresses when asked', () => {
    const inv = bootstrapHostsFromCluster(inventory, { user: 'admin', address: 'private' });
    expect([inv.master.address, ...inv.workers.map((w) => w.address)]).toEqual([
      '10.0.1.4',
      '10.0.1.5',
      '10.0.2.6',
    ]);
  });

  it('says how to fix a host without the chosen address, and a cluster without a master', () => {
    const noPublic: ClusterInstances = { ...inventory, hosts: [host({ id: 'i-m', role: 'master' })] };
    expect(() => bootstrapHostsFromCluster(noPublic, { user: 'u', address: 'public' })).toThrow(
      /instance i-m has no public address: .*ssh.address: private/,
    );
    expect(() =>
      bootstrapHostsFromCluster(
        { ...inventory, hosts: inventory.hosts.slice(1) },
        { user: 'u', address: 'public' },
      ),
    ).toThrow(/cluster demo has no running master instance/);
  });
});
