import { describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/aws/clients.js';
import { renderRestorePlan } from '../../src/cli/commands/restore-run.js';
import { clusterStateTarget, createClusterBackup } from '../../src/cluster/backup.js';
import { restoreCluster } from '../../src/cluster/restore.js';
import { createStore } from '../../src/control-plane/store/index.js';
import { createStoreBackup, listGenerations } from '../../src/control-plane/store/shipping/index.js';
import { buildClusterSettings, renderClusterSettings } from '../../src/provision/template/settings.js';
import { withEtcdAndMoto } from '../support/etcd-moto.js';
import { loadExample } from '../support/examples.js';

describe('restoreCluster on a cluster whose store is etcd (moto, real etcd)', () => {
  const { moto, etcd, keep } = withEtcdAndMoto();

  it('plans without listing changes, declines with nothing written, and goes to the masters (none run here)', async () => {
    const real = await createAwsClients({ env: moto().env });
    const settings = buildClusterSettings(loadExample('ha-masters'));
    expect(settings.store).toBe('etcd');
    const stack = {
      id: 'arn:aws:cloudformation:us-east-1:123456789012:stack/tugboat-etcdrestore/1',
      name: 'tugboat-etcdrestore',
      status: 'CREATE_COMPLETE',
      outputs: { BootstrapSettings: renderClusterSettings(settings) },
      parameters: {},
      tags: {},
    };
    // The stack as CloudFormation describes it; S3, STS and EC2 are moto's.
    const aws = {
      ...real,
      cloudFormation: { ...real.cloudFormation, describeStack: async () => stack },
    } as AwsClients;
    const target = await clusterStateTarget(aws, 'etcdrestore');
    await aws.s3.ensurePrivateBucket(target.ref, {});
    const store = keep(await createStore({ kind: 'etcd', endpoints: etcd().endpoints }));
    await store.create('/registry/configmaps/default/a', new TextEncoder().encode('a'));
    const backup = await createStoreBackup(store, aws.s3, target);

    const dry = await restoreCluster({ aws, cluster: 'etcdrestore', from: backup.name, dryRun: true });
    expect(dry.plan).toMatchObject({ store: 'etcd', backup: { name: backup.name, keys: backup.keys } });
    const text = renderRestorePlan('etcdrestore', dry.plan);
    expect(text).toContain(
      "replaces every key of etcdrestore's etcd with the backup's (what changes is not listed)",
    );
    expect(text).not.toContain('no shipped state');

    const declined = await restoreCluster({
      aws,
      cluster: 'etcdrestore',
      from: backup.name,
      confirm: async () => false,
    });
    expect(declined.declined).toBe(true);
    // Nothing was shipped as a store generation: etcd clusters ship nothing.
    expect(await listGenerations(aws.s3, target)).toEqual([]);

    // Confirmed: it looks for the masters to stop (none run in moto's EC2).
    await expect(
      restoreCluster({ aws, cluster: 'etcdrestore', from: backup.name, confirm: async () => true }),
    ).rejects.toThrow(/cluster etcdrestore has no running master instance/);
    expect(await listGenerations(aws.s3, target)).toEqual([]);
    // backup create goes to the masters too (etcd's port is theirs alone).
    await expect(createClusterBackup({ aws, cluster: 'etcdrestore' })).rejects.toThrow(
      /cluster etcdrestore has no running master instance/,
    );
  }, 120_000);
});
