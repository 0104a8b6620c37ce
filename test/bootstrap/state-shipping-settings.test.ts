import { describe, expect, it } from 'vitest';
import { stateShippingOf } from '../../src/bootstrap/cluster-bootstrap.js';
import { buildControlPlaneService } from '../../src/bootstrap/control-plane-install.js';
import { DEFAULT_HOST_LAYOUT } from '../../src/bootstrap/layout.js';
import { parseClusterSpec } from '../../src/config/index.js';
import type { IssuedCertificate } from '../../src/pki/authority.js';
import {
  buildClusterSettings,
  parseClusterSettings,
  renderClusterSettings,
} from '../../src/provision/template/settings.js';
import { exampleText } from '../support/examples.js';

const withBackup = (store: string) =>
  parseClusterSpec(
    exampleText('minimal').replace(
      'workerGroups:',
      `store: ${store}\nbackup:\n  schedule: "0 3 * * *"\n  retain: 5\nworkerGroups:`,
    ),
  );

describe("the spec's backup reaches the control plane's flags", () => {
  it('is kept in the stack settings for either store, and read back', () => {
    const settings = buildClusterSettings(withBackup('embedded'));
    expect(settings.backup).toEqual({ schedule: '0 3 * * *', retain: 5 });
    expect(parseClusterSettings(renderClusterSettings(settings))?.backup).toEqual(settings.backup);
    // etcd ships nothing, but its masters back it up to the same place.
    expect(buildClusterSettings(withBackup('etcd')).backup).toEqual(settings.backup);
    const plain = buildClusterSettings(parseClusterSpec(exampleText('minimal')));
    expect(renderClusterSettings(plain)).not.toContain('backup');
  });

  it('finds the bucket from the stack ARN and passes bucket, prefix, schedule and region to the service', () => {
    const stack = {
      id: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/tugboat-demo/0b7f',
      name: 'tugboat-demo',
      status: 'CREATE_COMPLETE',
      outputs: {},
      parameters: {},
      tags: {},
    };
    const shipping = stateShippingOf(stack, 'demo', { schedule: '@daily', retain: 3 });
    expect(shipping).toEqual({
      bucket: 'tugboat-templates-123456789012-eu-west-1',
      prefix: 'demo',
      region: 'eu-west-1',
      backup: { schedule: '@daily', retain: 3 },
    });
    expect(() =>
      stateShippingOf({ ...stack, id: 'stack-1' }, 'demo', { schedule: '@daily', retain: 3 }),
    ).toThrow(/not an ARN/);
    const cert = { certPem: 'c', keyPem: 'k' } as IssuedCertificate;
    const install = {
      layout: DEFAULT_HOST_LAYOUT,
      bundle: { file: 'b.mjs', content: Buffer.from('') },
      pki: { ca: cert, apiServer: cert, apiServerClient: cert } as never,
      nodePath: '/usr/bin/node',
      stateShipping: shipping,
    };
    const service = buildControlPlaneService(install);
    expect(service.command.join(' ')).toContain(
      '--state-bucket tugboat-templates-123456789012-eu-west-1 --state-prefix demo --backup-schedule @daily --backup-retain 3',
    );
    expect(service.env).toEqual({ AWS_REGION: 'eu-west-1' });
    // An etcd master gets both: its store is etcd, the bucket only takes its backups.
    const etcd = buildControlPlaneService({
      ...install,
      etcd: { endpoints: ['https://10.0.0.5:2379'], clientCert: cert },
    }).command.join(' ');
    expect(etcd).toContain('--store etcd --etcd-endpoints https://10.0.0.5:2379');
    expect(etcd).toContain(
      '--state-bucket tugboat-templates-123456789012-eu-west-1 --state-prefix demo --backup-schedule @daily',
    );
  });
});
