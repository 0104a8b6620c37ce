import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootstrapHostsFromCluster } from '../../src/bootstrap/cluster-hosts.js';
import type { ClusterInstances } from '../../src/provision/cluster-instances.js';
import { withMotoCli } from '../support/moto-cli.js';

// The seam the ha e2e found broken: the stack tugboat renders for three masters, created on moto
// and read back from AWS, must give three master groups, so bootstrap sees three masters (before,
// the groups had no tugboat:group tag, all read back as `master`, and bootstrap installed one).
const m = withMotoCli('ha-inventory');

describe('a 3-master stack read back from AWS', () => {
  it('lists master-1..3, one instance each in its own zone, and bootstrap gets all three masters', async () => {
    const spec = join(m.dir(), 'trio.yaml');
    writeFileSync(
      spec,
      `apiVersion: tugboat.dev/v1alpha1
kind: Cluster
name: trio
region: us-east-1
availabilityZones: [us-east-1a, us-east-1b, us-east-1c]
ssh:
  allowedCidrs: [203.0.113.10/32]
master:
  count: 3
  eip: false
workerGroups:
  - name: workers
    min: 1
    max: 1
    desired: 1
`,
    );
    const created = await m.cli('-o', 'json', 'create', '-f', spec, '--no-bootstrap', '--yes');
    expect(created.code, created.stderr).toBe(0);
    const inventory = JSON.parse(created.stdout) as ClusterInstances;
    const masters = inventory.hosts.filter((h) => h.role === 'master');
    expect(masters.map((h) => h.group).sort()).toEqual(['master-1', 'master-2', 'master-3']);
    expect(masters.map((h) => h.zone).sort()).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const hosts = bootstrapHostsFromCluster(
      { cluster: 'trio', groups: [], hosts: inventory.hosts },
      { user: 'ec2-user', address: 'private' },
    );
    expect(hosts.masters?.map((h) => h.name)).toEqual(
      [...masters].sort((a, b) => a.group.localeCompare(b.group)).map((h) => h.id),
    );
    const deleted = await m.cli('-o', 'json', 'delete', 'trio', '--yes');
    expect(deleted.code, deleted.stderr).toBe(0);
  }, 180_000);
});
