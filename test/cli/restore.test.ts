import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { listGenerations } from '../../src/control-plane/store/shipping/index.js';
import { clusterBucketName } from '../../src/provision/template/storage-names.js';
import { startMaster } from '../control-plane/store/shipping/helpers.js';
import { runCli } from '../support/cli.js';
import { withMotoCli } from '../support/moto-cli.js';

const enc = (s: string) => new TextEncoder().encode(s);
const key = (n: string) => `/registry/configmaps/default/${n}`;

describe('tugboat restore against moto_server (a cluster without a running master)', () => {
  const { moto, dir, env, cli } = withMotoCli('restore-cli');

  it('plans, refuses bad names and a missing --yes, declines, then writes the backup that the next master restores', async () => {
    const { s3 } = await createAwsClients({ env: moto().env });
    const ref = { bucket: clusterBucketName('123456789012', 'us-east-1'), owner: '123456789012' };
    await s3.ensurePrivateBucket(ref, {});
    const target = { ref, prefix: 'rsc' };
    const first = await startMaster(s3, target, join(dir(), 'm1'));
    for (const n of ['cm-0', 'cm-1', 'cm-2']) await first.store.create(key(n), enc(n));
    await first.shipper.flush();
    const made = await cli('-o', 'json', 'backup', 'create', 'rsc');
    expect(made.code, made.stderr).toBe(0);
    const backup = (JSON.parse(made.stdout) as { name: string }).name;
    await first.store.delete(key('cm-1'));
    await first.store.create(key('cm-x'), enc('x'));
    await first.store.close();
    await first.shipper.stop();

    expect((await cli('restore', 'rsc', '--from', 'latest')).code).toBe(2);
    const missing = await cli('restore', 'rsc', '--from', '20200101T000000Z');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`no complete backup 20200101T000000Z of rsc`);
    expect(missing.stderr).toContain(`the backups are ${backup}`);

    const dry = await cli('restore', 'rsc', '--from', backup, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`restore backup ${backup} (3 keys at revision 4`);
    expect(dry.stdout).toContain(`brings back 1:\n    ${key('cm-1')}`);
    expect(dry.stdout).toContain(`removes (created since) 1:\n    ${key('cm-x')}`);
    const plan = JSON.parse(
      (await cli('-o', 'json', 'restore', 'rsc', '--from', backup, '--dry-run')).stdout,
    );
    expect(plan).toMatchObject({ dryRun: true, plan: { revision: 7, current: { revision: 6, keys: 3 } } });

    const before = await listGenerations(s3, target);
    const noTty = await cli('restore', 'rsc', '--from', backup);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('pass --yes');
    const declined = await runCli(['restore', 'rsc', '--from', backup], {
      env: env(),
      cwd: dir(),
      interactive: true,
      answers: ['n'],
    });
    expect(declined.code).toBe(130);
    expect(declined.stderr).toContain('removes (created since) 1');
    expect(await listGenerations(s3, target)).toEqual(before);

    const done = await cli('restore', 'rsc', '--from', backup, '--yes');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(
      `backup ${backup} is rsc's state (generation ${before.length + 1}, revision 7)`,
    );

    // The cluster's next master restores exactly the backup, at the new revision.
    const next = await startMaster(s3, target, join(dir(), 'm2'));
    const kvs = (await next.store.range('/registry/configmaps/', { prefix: true })).kvs;
    expect(kvs.map((kv) => kv.key).sort()).toEqual([key('cm-0'), key('cm-1'), key('cm-2')]);
    expect(await next.store.currentRevision()).toBe(7);
    await next.store.close();
    await next.shipper.stop();

    // Into another cluster (e.g. a new one after delete --keep-backups): OTHER/NAME.
    const other = await cli('restore', 'fresh', '--from', `rsc/${backup}`, '--dry-run');
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('the cluster has no shipped state yet');
    expect(other.stdout).toContain('brings back 3');
  }, 180_000);
});
