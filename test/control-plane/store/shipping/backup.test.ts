import { describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../../src/control-plane/store/embedded/embedded-store.js';
import {
  createBackup,
  listBackups,
  pruneBackups,
  restoreBackup,
} from '../../../../src/control-plane/store/shipping/index.js';
import { s3ForMoto, startMaster, withMoto } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('backups of the shipped store (moto)', () => {
  const { moto, tmp } = withMoto();

  it('takes a verified backup at one revision, lists it, restores exactly it, and prunes to retain', async () => {
    const { s3, target } = await s3ForMoto(moto(), 's3ship-backup');
    await expect(createBackup(s3, target)).rejects.toThrow(/nothing to back up/);
    const dataDir = tmp.dir('master');
    const { store, shipper } = await startMaster(s3, target, dataDir);
    for (let i = 0; i < 30; i++) await store.create(`/registry/configmaps/default/cm-${i}`, enc(`${i}`));
    await shipper.flush();
    const first = await createBackup(s3, target, new Date('2026-12-02T16:00:00Z'));
    expect(first).toMatchObject({ name: '20261202T160000Z', revision: 31, keys: 30, generation: 1 });
    for (let i = 30; i < 40; i++) await store.create(`/registry/configmaps/default/cm-${i}`, enc(`${i}`));
    await shipper.flush();
    const second = await createBackup(s3, target, new Date('2026-12-02T17:00:00Z'));
    expect(second.keys).toBe(40);
    await store.close();
    await shipper.stop();
    expect((await listBackups(s3, target)).map((b) => b.name)).toEqual([
      '20261202T160000Z',
      '20261202T170000Z',
    ]);

    const restored = await restoreBackup(s3, target, first.name, tmp.dir('from-first'));
    expect(restored.revision).toBe(31);
    const back = await openEmbeddedStore({ dataDir: tmp.dir('from-first'), compactIntervalMs: 0 });
    const kvs = (await back.range('/registry/configmaps/', { prefix: true })).kvs;
    expect(kvs.map((kv) => kv.key).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `/registry/configmaps/default/cm-${i}`).sort(),
    );
    await back.close();
    await expect(restoreBackup(s3, target, '20260101T000000Z', tmp.dir('none'))).rejects.toThrow(
      /no complete backup 20260101T000000Z/,
    );
    await expect(restoreBackup(s3, target, '../x', tmp.dir('bad'))).rejects.toThrow(/is not one/);

    expect(await pruneBackups(s3, target, 1)).toEqual(['20261202T160000Z']);
    expect((await listBackups(s3, target)).map((b) => b.name)).toEqual(['20261202T170000Z']);
  }, 60_000);
});
