import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { clusterBucketName } from '../../src/provision/template/storage-names.js';
import { startMaster } from '../control-plane/store/shipping/helpers.js';
import { withMotoCli } from '../support/moto-cli.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('tugboat backup create / list against moto_server', () => {
  const { moto, dir, env, cli } = withMotoCli('backup-cli');

  it('refuses an unknown cluster and one that shipped nothing, then backs up and lists what a master shipped', async () => {
    const missing = await cli('-o', 'json', 'backup', 'list', 'nosuch');
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout).error.code).toBe('CLUSTER_NOT_FOUND');
    expect((await cli('backup', 'create', 'nosuch')).stderr).toMatch(/cluster "nosuch" not found/);

    // A stack without a shipping master: "nothing shipped", not "not found".
    const awsCli = (...args: string[]) =>
      execFileSync('aws', ['--endpoint-url', moto().endpoint, '--region', 'us-east-1', ...args], {
        env: env(),
      });
    awsCli(
      'cloudformation',
      'create-stack',
      '--stack-name',
      'tugboat-bkdemo',
      '--template-body',
      JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }),
    );
    const nothing = await cli('backup', 'create', 'bkdemo');
    expect(nothing.code).toBe(3);
    expect(nothing.stderr).toMatch(/has no store state in s3:\/\/.*bkdemo\/store\/.*nothing to back up/);
    const none = await cli('backup', 'list', 'bkdemo');
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/no backups of bkdemo yet/);

    // A master ships its store to the cluster's prefix of the account's tugboat bucket.
    const { s3 } = await createAwsClients({ env: moto().env });
    const ref = { bucket: clusterBucketName('123456789012', 'us-east-1'), owner: '123456789012' };
    await s3.ensurePrivateBucket(ref, {});
    const { store, shipper } = await startMaster(s3, { ref, prefix: 'bkdemo' }, join(dir(), 'master'));
    for (let i = 0; i < 12; i++) await store.create(`/registry/configmaps/default/cm-${i}`, enc(`${i}`));
    await shipper.flush();
    await store.close();
    await shipper.stop();

    const made = await cli('-o', 'json', 'backup', 'create', 'bkdemo');
    expect(made.code, made.stderr).toBe(0);
    const info = JSON.parse(made.stdout) as { name: string; keys: number; revision: number };
    expect(info).toMatchObject({ keys: 12, revision: 13 });
    expect(info.name).toMatch(/^\d{8}T\d{6}Z$/);

    const listed = await cli('-o', 'yaml', 'backup', 'list', 'bkdemo');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`name: ${info.name}`);
    const text = await cli('backup', 'list', 'bkdemo');
    expect(text.stdout.split('\n')[0]).toMatch(/^NAME\s+CREATED\s+REVISION\s+KEYS$/);
    expect(text.stdout).toMatch(new RegExp(`${info.name}\\s+\\S+\\s+13\\s+12`));

    // Backups outlive the stack (delete --keep-backups): list still finds them.
    awsCli('cloudformation', 'delete-stack', '--stack-name', 'tugboat-bkdemo');
    const after = await cli('-o', 'json', 'backup', 'list', 'bkdemo');
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout).backups.map((b: { name: string }) => b.name)).toEqual([info.name]);
  }, 120_000);
});
