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
      privateAddress: '10.0.1.4',
    });
    expect(inv.masters).toBeUndefined();
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

  it('lists every master of a 3-master cluster in group order, one per group, the InService one first', () => {
    const three: ClusterInstances = {
      ...inventory,
      hosts: [
        // Listed out of order, with master-2's group mid-replacement (the new instance still Pending).
        host({
          id: 'i-m3',
          role: 'master',
          group: 'master-3',
          privateIp: '10.0.3.4',
          publicIp: '203.0.113.3',
        }),
        host({
          id: 'i-m2-new',
          role: 'master',
          group: 'master-2',
          lifecycleState: 'Pending',
          privateIp: '10.0.2.9',
          publicIp: '203.0.113.9',
        }),
        host({
          id: 'i-m2',
          role: 'master',
          group: 'master-2',
          privateIp: '10.0.2.4',
          publicIp: '203.0.113.2',
        }),
        host({
          id: 'i-m1',
          role: 'master',
          group: 'master-1',
          privateIp: '10.0.1.4',
          publicIp: '203.0.113.1',
        }),
        ...inventory.hosts.slice(1),
      ],
    };
    const inv = bootstrapHostsFromCluster(three, { user: 'u', address: 'public' });
    expect(inv.masters?.map((m) => [m.name, m.address, m.privateAddress])).toEqual([
      ['i-m1', '203.0.113.1', '10.0.1.4'],
      ['i-m2', '203.0.113.2', '10.0.2.4'],
      ['i-m3', '203.0.113.3', '10.0.3.4'],
    ]);
    expect(inv.master).toEqual(inv.masters?.[0]);
    // Stable: the same instances in another order give the same list.
    const again = bootstrapHostsFromCluster(
      { ...three, hosts: [...three.hosts].reverse() },
      {
        user: 'u',
        address: 'public',
      },
    );
    expect(again.masters?.map((m) => m.name)).toEqual(['i-m1', 'i-m2', 'i-m3']);
    expect(inv.workers.map((w) => [w.name, w.privateAddress])).toEqual([
      ['i-w1', undefined],
      ['i-w2', undefined],
    ]);
  });
});
