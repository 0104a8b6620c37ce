import { describe, expect, it } from 'vitest';
import {
  claimGeneration,
  listBackups,
  startBackupSchedule,
} from '../../../../src/control-plane/store/shipping/index.js';
import { RecordingEvents } from '../../../../src/events.js';
import { s3ForMoto, startMaster, switchable, until, withMoto } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('scheduled backups (moto, a shipping store)', () => {
  const { moto, tmp } = withMoto();

  it('backs up on each tick, keeps the newest `retain`, survives a failing tick, and stops writing once fenced', async () => {
    const { s3: real, target } = await s3ForMoto(moto(), 's3ship-schedule');
    const s3 = switchable(real);
    const { store, shipper, prepared } = await startMaster(real, target, tmp.dir('master'));
    for (let i = 0; i < 20; i++) await store.create(`/registry/configmaps/default/cm-${i}`, enc(`${i}`));
    await shipper.flush();
    const events = new RecordingEvents();
    // Ticks 1.1 s apart: backup names are whole seconds.
    const schedule = startBackupSchedule({
      s3,
      target,
      schedule: '* * * * *',
      retain: 2,
      generation: prepared.generation,
      fenced: () => shipper.status().fenced,
      next: (after) => after + 1100,
      events,
    });
    const codes = () => events.events.map((e) => e.code);
    try {
      await until(() => codes().filter((c) => c === 'store.backup-created').length >= 3, 20_000, '3 backups');
      expect((await listBackups(real, target)).length).toBe(2);
      expect(events.events.find((e) => e.message.includes('deleted'))?.message).toMatch(/retain 2/);

      // S3 fails for a tick: reported, and the next tick after it works again.
      s3.down = true;
      await until(() => codes().includes('store.backup-failed'), 10_000, 'a failed backup');
      s3.down = false;
      const created = codes().filter((c) => c === 'store.backup-created').length;
      await until(
        () => codes().filter((c) => c === 'store.backup-created').length > created,
        10_000,
        'a backup after the failure',
      );
      expect(events.events.find((e) => e.code === 'store.backup-failed')?.message).toMatch(
        /^scheduled backup failed .*s3 outage/,
      );

      // A newer master claims the store: this one writes no more backups.
      await claimGeneration(real, target, 'newer-master');
      await until(() => codes().includes('store.backup-skipped'), 10_000, 'a skipped backup');
      const names = (await listBackups(real, target)).map((b) => b.name);
      await new Promise((r) => setTimeout(r, 2500));
      expect((await listBackups(real, target)).map((b) => b.name)).toEqual(names);
    } finally {
      await schedule.stop();
      await store.close();
      await shipper.stop();
    }
  }, 90_000);
});
