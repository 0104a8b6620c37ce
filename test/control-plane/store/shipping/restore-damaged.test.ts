import { describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../../src/control-plane/store/embedded/embedded-store.js';
import {
  applyBackupRestore,
  createBackup,
  prepareBackupRestore,
  restoreState,
} from '../../../../src/control-plane/store/shipping/index.js';
import { logPrefix, parseLogs } from '../../../../src/control-plane/store/shipping/layout.js';
import { s3ForMoto, startMaster, withMoto } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('restoring a backup over a damaged shipped state (moto)', () => {
  const { moto, tmp } = withMoto();

  it('plans without the diff, naming the damage, and restores past every revision shipped', async () => {
    const { s3, target } = await s3ForMoto(moto(), 's3ship-damaged');
    const { store, shipper } = await startMaster(s3, target, tmp.dir('master'));
    for (let i = 0; i < 10; i++) await store.create(`/registry/configmaps/default/cm-${i}`, enc(`${i}`));
    await shipper.flush();
    const backup = await createBackup(s3, target);
    for (let i = 10; i < 40; i++) {
      await store.create(`/registry/configmaps/default/cm-${i}`, enc(`${i}`));
      await shipper.flush();
    }
    await store.close();
    await shipper.stop();
    // A log object in the middle is lost: the shipped state has a gap.
    const logs = parseLogs(await s3.listKeys(target.ref, logPrefix(target)));
    const newest = Math.max(...logs.map((l) => l.last));
    await s3.deleteObject(target.ref, logs.at(-3)!.key);
    await expect(restoreState({ s3, target, dataDir: tmp.dir('broken') })).rejects.toThrow(/gap/);

    const prepared = await prepareBackupRestore(s3, target, target, backup.name);
    expect(prepared.plan.current).toBeUndefined();
    expect(prepared.plan.currentError).toMatch(/the shipped log has a gap/);
    expect(prepared.plan.revision).toBe(newest + 1);
    await applyBackupRestore(s3, target, prepared, 'test');
    const restored = await restoreState({ s3, target, dataDir: tmp.dir('after') });
    expect(restored).toMatchObject({ revision: newest + 1, keys: 10 });
    const back = await openEmbeddedStore({ dataDir: tmp.dir('after'), compactIntervalMs: 0 });
    expect((await back.range('/registry/configmaps/', { prefix: true })).kvs).toHaveLength(10);
    await back.close();
  }, 90_000);
});
