import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../../src/control-plane/store/embedded/embedded-store.js';
import { createStore } from '../../../../src/control-plane/store/index.js';
import {
  applyBackupRestore,
  createStoreBackup,
  prepareBackupRestore,
  restoreState,
} from '../../../../src/control-plane/store/shipping/index.js';
import type { Store } from '../../../../src/control-plane/store/types.js';
import { type EtcdCluster, startEtcd } from '../../../harness/etcd.js';
import { s3ForMoto, withMoto } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const cm = (i: number) => `/registry/configmaps/default/kept-${i}`;

// The no-client e2e's acceptance 6 in small: a three-master cluster's backup (read from etcd by a
// master) restored into a new one-master cluster whose store is embedded and shipped to S3.
describe('a backup of etcd restored into another cluster on the embedded store (real etcd, moto S3)', () => {
  const { moto, tmp } = withMoto();
  let etcd: EtcdCluster;
  const stores: Store[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 60_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    await etcd?.stop();
  });

  it('plans every key as added, restores them at a revision past the backup, and the new store serves exactly them', async () => {
    const { s3, target } = await s3ForMoto(moto(), 'etcd-into-embedded');
    const source = { ref: target.ref, prefix: 'old' };
    const into = { ref: target.ref, prefix: 'new' };
    const prefix = `/etcd-into-embedded-${process.pid}`;
    const store = await createStore({ kind: 'etcd', endpoints: etcd.endpoints, prefix });
    stores.push(store);
    // Another cluster on the same etcd whose prefix starts with this one's: not in the backup.
    const other = await createStore({ kind: 'etcd', endpoints: etcd.endpoints, prefix: `${prefix}0` });
    stores.push(other);
    await other.create('/registry/configmaps/default/other', enc('other'));
    for (let i = 0; i < 20; i++) await store.create(cm(i), enc(`v-${i}`));
    const seven = (await store.get(cm(7)))!;
    await store.update(cm(7), enc('changed'), seven.modRevision);
    await store.delete(cm(19));
    const expected = (await store.range('/', { prefix: true })).kvs.map((kv) => [kv.key, dec(kv.value)]);

    const backup = await createStoreBackup(store, s3, source, { now: new Date('2026-12-04T04:43:00Z') });
    expect(backup).toMatchObject({ name: '20261204T044300Z', keys: 19, store: 'etcd' });

    // The new cluster has shipped nothing yet (a restore before its master's first ship): the
    // plan adds every key and restores past the backup's revision.
    const prepared = await prepareBackupRestore(s3, source, into, backup.name);
    expect(prepared.plan.added.count).toBe(19);
    expect(prepared.plan.removed.count).toBe(0);
    expect(prepared.plan.revision).toBe(backup.revision + 1);
    const applied = await applyBackupRestore(s3, into, prepared, 'tugboat restore old/20261204T044300Z');
    expect(applied).toEqual({ generation: 1, revision: backup.revision + 1, keys: 19 });

    // What the new cluster's master restores as it starts on an empty data directory.
    const dataDir = tmp.dir('new-master');
    const restored = await restoreState({ s3, target: into, dataDir });
    expect(restored).toMatchObject({ generation: 1, revision: backup.revision + 1, keys: 19 });
    const embedded = await openEmbeddedStore({ dataDir });
    try {
      const got = (await embedded.range('/', { prefix: true })).kvs.map((kv) => [kv.key, dec(kv.value)]);
      expect(got).toEqual(expected);
      expect(got.find(([k]) => k === cm(7))?.[1]).toBe('changed');
      expect(got.map(([k]) => k)).not.toContain('/registry/configmaps/default/other');
      expect(await embedded.currentRevision()).toBe(backup.revision + 1);
      // A resourceVersion from the old cluster is too old here: watchers relist.
      await expect(embedded.range('/', { prefix: true, revision: backup.revision })).rejects.toThrow();
      // And it takes writes.
      await embedded.create(cm(100), enc('after'));
      expect(await embedded.currentRevision()).toBe(backup.revision + 2);
    } finally {
      await embedded.close();
    }
  }, 120_000);
});
