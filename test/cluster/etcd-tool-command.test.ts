import { describe, expect, it } from 'vitest';
import { DEFAULT_HOST_LAYOUT } from '../../src/bootstrap/layout.js';
import { type EtcdMaster, etcdToolCommand } from '../../src/cluster/restore-etcd-masters.js';
import { LocalShell } from '../../src/ssh/local-shell.js';

const master = (env: Record<string, string>): EtcdMaster => ({
  shell: new LocalShell({ host: 'm1' }),
  layout: DEFAULT_HOST_LAYOUT,
  mode: 'supervised',
  command: {
    argv: [
      '/opt/tugboat/runtime/node/bin/node',
      '/opt/tugboat/bundles/tugboat.mjs',
      'control-plane',
      '--store',
      'etcd',
      '--etcd-endpoints',
      'https://10.0.0.4:2379',
      '--listen',
      '0.0.0.0:6443',
    ],
    env,
  },
});

describe('etcdToolCommand: the control plane program, its etcd flags and environment, for store backup-etcd / restore-etcd', () => {
  it("adds the bucket's region where the service has none (a master installed over SSH without backup:)", () => {
    const cmd = etcdToolCommand(master({}), ['store', 'backup-etcd'], 'eu-west-1');
    expect(cmd).toBe(
      'env AWS_REGION=eu-west-1 /opt/tugboat/runtime/node/bin/node /opt/tugboat/bundles/tugboat.mjs store backup-etcd --etcd-endpoints https://10.0.0.4:2379',
    );
    expect(etcdToolCommand(master({ AWS_REGION: '' }), ['store', 'backup-etcd'], 'eu-west-1')).toContain(
      'AWS_REGION=eu-west-1 ',
    );
  });

  it("keeps the service's own region, and adds nothing without one given", () => {
    expect(
      etcdToolCommand(master({ AWS_REGION: 'us-east-1' }), ['store', 'backup-etcd'], 'eu-west-1'),
    ).toContain('env AWS_REGION=us-east-1 /opt');
    expect(etcdToolCommand(master({}), ['store', 'backup-etcd'])).toMatch(/^env \/opt/);
  });
});
