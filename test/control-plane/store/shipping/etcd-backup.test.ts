import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Api } from '../../../../src/aws/s3.js';
import { openEmbeddedStore } from '../../../../src/control-plane/store/embedded/embedded-store.js';
import { createStore } from '../../../../src/control-plane/store/index.js';
import {
  createStoreBackup,
  listBackups,
  restoreBackup,
  startBackupSchedule,
} from '../../../../src/control-plane/store/shipping/index.js';
import type { KeyValue, Store } from '../../../../src/control-plane/store/types.js';
import { RecordingEvents } from '../../../../src/events.js';
import { type EtcdCluster, startEtcd } from '../../../harness/etcd.js';
import { s3ForMoto, switchable, until, withMoto } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const cm = (i: number) => `/registry/configmaps/default/cm-${String(i).padStart(4, '0')}`;
const plain = (kvs: readonly KeyValue[]) =>
  kvs.map((kv) => ({
    key: kv.key,
    value: dec(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
  }));

describe('backups of an etcd store (real etcd, moto S3)', () => {
  const { moto, tmp } = withMoto();
  let etcd: EtcdCluster;
  let n = 0;
  const stores: Store[] = [];
  const open = async (prefix: string) => {
    const store = await createStore({ kind: 'etcd', endpoints: etcd.endpoints, prefix });
    stores.push(store);
    return store;
  };
  const prefix = () => `/etcdbackup-test-${process.pid}-${n++}`;
  beforeAll(async () => {
    etcd = await startEtcd();
  }, 60_000);
  afterAll(async () => {
    for (const store of stores) await store.close();
    await etcd?.stop();
  });

  it('reads every key at one revision while writes happen between pages, and restores to exactly that state', async () => {
    const { s3: real, target } = await s3ForMoto(moto(), 'etcdbackup-consistent');
    const puts: string[] = [];
    const s3: S3Api = {
      ...real,
      putBytes: (ref, key, body, condition) => {
        puts.push(key);
        return real.putBytes(ref, key, body, condition);
      },
    };
    const name = prefix();
    const store = await open(name);
    // A key of a cluster whose etcd prefix starts with this one's: never part of this backup.
    await (await open(`${name}0`)).create('/registry/configmaps/default/other', enc('other'));
    for (let i = 0; i < 300; i++) await store.create(cm(i), enc(`v0-${i}`));
    const before = await store.currentRevision();
    let pages = 0;
    let extra = 1000;
    const info = await createStoreBackup(store, s3, target, {
      pageKeys: 40,
      now: new Date('2026-12-04T01:00:00Z'),
      // Between pages: change keys already read and keys still to come, delete some, add some.
      onPage: async () => {
        pages++;
        for (const i of [pages * 7, 299 - pages * 5]) {
          const kv = await store.get(cm(i));
          if (kv) await store.update(cm(i), enc(`changed-${i}`), kv.modRevision);
        }
        await store.delete(cm(pages * 11 + 1));
        await store.create(cm(extra++), enc('late'));
      },
    });
    expect(pages).toBeGreaterThan(5);
    expect(info).toMatchObject({ name: '20261204T010000Z', revision: before, keys: 300, generation: 0 });
    expect(info.store).toBe('etcd');
    // The snapshot first, the manifest last.
    expect(puts.map((k) => k.split('/').at(-1))).toEqual(['snapshot', 'manifest.json']);
    expect((await listBackups(real, target)).map((b) => b.name)).toEqual(['20261204T010000Z']);

    // Restored (as any backup: through the store's own recovery), it is the state at that revision.
    const atRevision = await store.range('/', { prefix: true, revision: info.revision });
    const dataDir = tmp.dir('restored-consistent');
    await restoreBackup(real, target, info.name, dataDir);
    const restored = await openEmbeddedStore({ dataDir });
    try {
      const got = await restored.range('/', { prefix: true });
      expect(plain(got.kvs)).toEqual(plain(atRevision.kvs));
      expect(got.kvs.map((kv) => dec(kv.value))).toEqual(Array.from({ length: 300 }, (_, i) => `v0-${i}`));
      expect(await restored.currentRevision()).toBe(info.revision);
    } finally {
      await restored.close();
    }
    // The live store moved on meanwhile.
    const live = (await store.range('/', { prefix: true })).kvs.map((kv) => dec(kv.value));
    expect(live.filter((v) => v.startsWith('changed-')).length).toBeGreaterThan(5);
    expect(live.filter((v) => v === 'late').length).toBe(pages);
  }, 120_000);

  it('a read overtaken by compaction starts again at the current revision, at most 3 times', async () => {
    const { s3, target } = await s3ForMoto(moto(), 'etcdbackup-compacted');
    const store = await open(prefix());
    for (let i = 0; i < 30; i++) await store.create(cm(i), enc(`${i}`));
    // After the first page of the first read: a write, then compaction past the pinned revision.
    let compactions = 0;
    const compactOnce = async () => {
      if (compactions++ > 0) return;
      await store.update(cm(0), enc('after'), (await store.get(cm(0)))!.modRevision);
      await store.compact(await store.currentRevision());
    };
    const info = await createStoreBackup(store, s3, target, { pageKeys: 10, onPage: compactOnce });
    expect(info.keys).toBe(30);
    expect(info.revision).toBe(await store.currentRevision());
    const dataDir = tmp.dir('restored-compacted');
    await restoreBackup(s3, target, info.name, dataDir);
    const restored = await openEmbeddedStore({ dataDir });
    expect(dec((await restored.get(cm(0)))!.value)).toBe('after');
    await restored.close();

    // Compacted on every page: refused after 3 reads, with etcd's reason; nothing listed.
    const always = async () => {
      await store.update(cm(1), enc('x'), (await store.get(cm(1)))!.modRevision);
      await store.compact(await store.currentRevision());
    };
    await expect(
      createStoreBackup(store, s3, target, {
        pageKeys: 10,
        onPage: always,
        now: new Date('2026-12-04T03:00:00Z'),
      }),
    ).rejects.toThrow(/compacted/);
    expect((await listBackups(s3, target)).map((b) => b.name)).toEqual([info.name]);
  }, 60_000);

  it('a failed snapshot upload leaves no listed backup; a failed manifest leaves it unlisted', async () => {
    const { s3: real, target } = await s3ForMoto(moto(), 'etcdbackup-failing');
    const store = await open(prefix());
    for (let i = 0; i < 10; i++) await store.create(cm(i), enc(`${i}`));
    const failing = (part: string): S3Api => ({
      ...real,
      putBytes: (ref, key, body, condition) =>
        key.endsWith(part)
          ? Promise.reject(new Error('connect ECONNREFUSED (s3 outage)'))
          : real.putBytes(ref, key, body, condition),
    });
    await expect(
      createStoreBackup(store, failing('/snapshot'), target, { now: new Date('2026-12-04T01:00:00Z') }),
    ).rejects.toThrow(/s3 outage/);
    await expect(
      createStoreBackup(store, failing('/manifest.json'), target, { now: new Date('2026-12-04T01:00:01Z') }),
    ).rejects.toThrow(/s3 outage/);
    expect(await listBackups(real, target)).toEqual([]);
    // The same name again is refused, never written over.
    const ok = await createStoreBackup(store, real, target, { now: new Date('2026-12-04T01:00:02Z') });
    await expect(
      createStoreBackup(store, real, target, { now: new Date('2026-12-04T01:00:02Z') }),
    ).rejects.toThrow(/a backup named 20261204T010002Z exists already/);
    expect((await listBackups(real, target)).map((b) => b.name)).toEqual([ok.name]);
  }, 60_000);

  it('on a schedule only the leader writes, pruning keeps `retain`, and a failing tick is reported and the next works', async () => {
    const { s3: real, target } = await s3ForMoto(moto(), 'etcdbackup-schedule');
    const s3 = switchable(real);
    const name = prefix();
    const leaderStore = await open(name);
    const standbyStore = await open(name);
    for (let i = 0; i < 25; i++) await leaderStore.create(cm(i), enc(`${i}`));
    const leaderEvents = new RecordingEvents();
    const standbyEvents = new RecordingEvents();
    let leads = true;
    const common = { s3, target, schedule: '* * * * *', retain: 2, next: (after: number) => after + 1100 };
    const leader = startBackupSchedule({
      ...common,
      store: leaderStore,
      isLeader: () => leads,
      events: leaderEvents,
    });
    const standby = startBackupSchedule({
      ...common,
      store: standbyStore,
      isLeader: () => false,
      events: standbyEvents,
    });
    const count = (events: RecordingEvents, code: string) =>
      events.events.filter((e) => e.code === code).length;
    try {
      await until(() => count(leaderEvents, 'store.backup-created') >= 3, 30_000, '3 backups');
      const backups = await listBackups(real, target);
      expect(backups.length).toBe(2);
      expect(backups.every((b) => b.store === 'etcd' && b.keys === 25)).toBe(true);
      expect(leaderEvents.events.find((e) => e.message.includes('deleted'))?.message).toMatch(/retain 2/);
      expect(count(standbyEvents, 'store.backup-skipped')).toBeGreaterThan(0);
      expect(count(standbyEvents, 'store.backup-created')).toBe(0);
      expect(count(standbyEvents, 'store.backup-failed')).toBe(0);
      expect(standbyEvents.events[0]?.message).toMatch(/skipped: this master is not the leader/);

      s3.down = true;
      await until(() => count(leaderEvents, 'store.backup-failed') > 0, 15_000, 'a failed backup');
      s3.down = false;
      const created = count(leaderEvents, 'store.backup-created');
      await until(() => count(leaderEvents, 'store.backup-created') > created, 15_000, 'a backup after it');
      expect(leaderEvents.events.find((e) => e.code === 'store.backup-failed')?.message).toMatch(
        /^scheduled backup failed .*s3 outage/,
      );

      // Leadership moves away: no more backups from this one.
      leads = false;
      await until(() => count(leaderEvents, 'store.backup-skipped') > 0, 15_000, 'a skipped backup');
      const names = (await listBackups(real, target)).map((b) => b.name);
      await new Promise((r) => setTimeout(r, 2500));
      expect((await listBackups(real, target)).map((b) => b.name)).toEqual(names);
    } finally {
      await leader.stop();
      await standby.stop();
    }
  }, 120_000);
});
