import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { createStore } from '../../src/control-plane/store/index.js';
import { createStoreBackup } from '../../src/control-plane/store/shipping/index.js';
import { freePort } from '../harness/process.js';
import { runCli } from '../support/cli.js';
import { withEtcdAndMoto } from '../support/etcd-moto.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('tugboat store restore-etcd (real etcd, moto)', () => {
  const { moto, etcd, keep } = withEtcdAndMoto();

  it('refuses bad flags, asks without --yes, and with it puts exactly the backup back', async () => {
    const env = { ...process.env, ...moto().env };
    const { s3, sts } = await createAwsClients({ env });
    const ref = { bucket: 'etcdbackup-cli', owner: await sts.accountId() };
    await s3.ensurePrivateBucket(ref, {});
    const target = { ref, prefix: 'demo' };
    const store = keep(await createStore({ kind: 'etcd', endpoints: etcd().endpoints }));
    for (const n of ['a', 'b', 'c']) await store.create(`/registry/configmaps/default/${n}`, enc(n));
    const backup = await createStoreBackup(store, s3, target);
    await store.delete('/registry/configmaps/default/b');
    await store.create('/registry/configmaps/default/d', enc('d'));

    const base = ['store', 'restore-etcd', '--state-bucket', ref.bucket, '--state-prefix', 'demo'];
    const endpoints = ['--etcd-endpoints', etcd().endpoints.join(',')];
    const noName = await runCli([...base, ...endpoints, '--from', 'latest'], { env });
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--from "latest" is not a backup name');
    const noEtcd = await runCli([...base, '--from', backup.name], { env });
    expect(noEtcd.code).toBe(2);
    expect(noEtcd.stderr).toContain('--etcd-endpoints is required');
    const unasked = await runCli([...base, ...endpoints, '--from', backup.name], { env });
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain('pass --yes to confirm');
    expect((await store.get('/registry/configmaps/default/d')) !== undefined).toBe(true);
    const missing = await runCli([...base, ...endpoints, '--from', '20200101T000000Z', '--yes'], { env });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no complete backup 20200101T000000Z');
    expect((await store.get('/registry/configmaps/default/d')) !== undefined).toBe(true);

    // backup-etcd: with no quorum, no backup and the report; with etcd, a backup at one revision.
    const dead = ['--etcd-endpoints', `http://127.0.0.1:${await freePort()}`];
    const bucket = ['--state-bucket', ref.bucket, '--state-prefix', 'demo'];
    const noQuorum = await runCli(['store', 'backup-etcd', ...bucket, ...dead], { env });
    expect(noQuorum.code).not.toBe(0);
    expect(noQuorum.stderr).toMatch(/no backup taken: .*docs\/ha-masters.md#lost-quorum/);
    await new Promise((r) => setTimeout(r, 1100)); // backup names are whole seconds
    const taken = await runCli(['store', 'backup-etcd', ...bucket, ...endpoints], { env });
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stdout).toMatch(/^backup \d{8}T\d{6}Z: 3 keys at revision \d+\n$/);

    const done = await runCli([...base, ...endpoints, '--from', backup.name, '--yes'], { env });
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(
      new RegExp(`restored ${backup.name} into etcd: 3 keys deleted, 3 written, revision \\d+`),
    );
    const kvs = (await store.range('/registry/', { prefix: true })).kvs;
    expect(kvs.map((kv) => [kv.key, dec(kv.value)])).toEqual([
      ['/registry/configmaps/default/a', 'a'],
      ['/registry/configmaps/default/b', 'b'],
      ['/registry/configmaps/default/c', 'c'],
    ]);
  }, 120_000);
});
