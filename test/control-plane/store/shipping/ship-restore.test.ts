import { describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../../src/control-plane/store/embedded/embedded-store.js';
import {
  prepareShipping,
  restoreState,
  StateRestoreError,
} from '../../../../src/control-plane/store/shipping/index.js';
import { logPrefix, parseLogs } from '../../../../src/control-plane/store/shipping/layout.js';
import type { KeyValue, Store } from '../../../../src/control-plane/store/types.js';
import { caughtUp, s3ForMoto, startMaster, switchable, until, withMoto } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

async function dump(store: Store): Promise<readonly KeyValue[]> {
  return (await store.range('', { prefix: true })).kvs;
}

describe('shipping the embedded store to S3 (moto) and restoring it', () => {
  const { moto, tmp } = withMoto();

  it('restores every key and revision a master acknowledged, across rotations, snapshots and deletes', async () => {
    const { s3, target } = await s3ForMoto(moto(), 's3ship-roundtrip');
    const { store, shipper } = await startMaster(s3, target, tmp.dir('a'));
    for (let i = 0; i < 600; i++) {
      const r = await store.create(`/registry/configmaps/default/cm-${i}`, enc(`v${i}`));
      expect(r.ok).toBe(true);
      if (i % 7 === 0) {
        const kv = (r as { kv: KeyValue }).kv;
        await store.update(kv.key, enc(`v${i}-b`), kv.modRevision);
      }
      if (i % 11 === 0) await store.delete(`/registry/configmaps/default/cm-${i}`);
    }
    await store.compact((await store.currentRevision()) - 50);
    await store.create('/registry/after-compaction', enc('x'));
    const expected = await dump(store);
    const revision = await store.currentRevision();
    await until(() => shipper.status().shippedRevision === revision, 10_000, 'the log to reach S3');
    expect(shipper.status().lagMs).toBe(0);
    expect(shipper.status().backlogBytes).toBe(0);
    await store.close();
    await shipper.stop();

    const restored = await restoreState({ s3, target, dataDir: tmp.dir('b') });
    expect(restored?.revision).toBe(revision);
    const back = await openEmbeddedStore({ dataDir: tmp.dir('b'), compactIntervalMs: 0 });
    expect(await back.currentRevision()).toBe(revision);
    expect(await dump(back)).toEqual(expected);
    // The restored store takes writes, continuing the revision sequence.
    expect((await back.create('/registry/new', enc('n'))).ok).toBe(true);
    expect(await back.currentRevision()).toBe(revision + 1);
    await back.close();
  }, 60_000);

  it('refuses a gap in the shipped log and a damaged chunk, naming what is missing', async () => {
    const { s3, target } = await s3ForMoto(moto(), 's3ship-gap');
    const { store, shipper } = await startMaster(s3, target, tmp.dir('gap'));
    for (let i = 0; i < 100; i++) {
      await store.create(`/k/${i}`, enc('v'));
      if (i % 10 === 9) await shipper.flush();
    }
    await shipper.flush();
    await store.close();
    await shipper.stop();
    const chunks = parseLogs(await s3.listKeys(target.ref, logPrefix(target)));
    expect(chunks.length).toBeGreaterThan(3);
    const middle = chunks[2]!;
    const body = await s3.getBytes(target.ref, middle.key);
    // A flipped byte in a record: the checksum catches it.
    const bad = Buffer.from(body!);
    bad.writeUInt8(bad.readUInt8(bad.length - 3) ^ 0xff, bad.length - 3);
    await s3.putBytes(target.ref, middle.key, bad);
    await expect(restoreState({ s3, target, dataDir: tmp.dir('gap-1') })).rejects.toThrow(
      /damaged.*checksum/s,
    );
    await s3.deleteObject(target.ref, middle.key);
    const err = await restoreState({ s3, target, dataDir: tmp.dir('gap-2') }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(StateRestoreError);
    expect((err as Error).message).toContain(
      `revisions ${middle.first}-${middle.last} of generation 1 are missing`,
    );
  }, 60_000);

  it('loses no acknowledged write across an S3 outage: the local log is the backlog', async () => {
    const base = await s3ForMoto(moto(), 's3ship-outage');
    const s3 = switchable(base.s3);
    const { target } = base;
    const { store, shipper } = await startMaster(s3, target, tmp.dir('out'));
    for (let i = 0; i < 50; i++) await store.create(`/before/${i}`, enc('v'));
    await caughtUp(store, shipper);
    s3.down = true;
    // Enough writes to rotate segments and write local snapshots while S3 is down.
    for (let i = 0; i < 400; i++) await store.create(`/during/${i}`, enc('v'.repeat(200)));
    // The backlog (measured each retry) is the unshipped local log: all 400 records wait on disk.
    await until(() => shipper.status().backlogBytes > 400 * 200, 10_000, 'the backlog to be measured');
    const during = shipper.status();
    expect(during.failures).toBeGreaterThanOrEqual(1);
    expect(during.shippedRevision).toBeLessThan(await store.currentRevision());
    expect(during.lastError).toContain('s3 outage');
    s3.down = false;
    await caughtUp(store, shipper);
    expect(shipper.status().lagMs).toBe(0);
    const expected = await dump(store);
    await store.close();
    await shipper.stop();
    await restoreState({ s3: base.s3, target, dataDir: tmp.dir('out-restored') });
    const back = await openEmbeddedStore({ dataDir: tmp.dir('out-restored'), compactIntervalMs: 0 });
    expect(await dump(back)).toEqual(expected);
    await back.close();
  }, 60_000);

  it('fences: of two masters racing for the next generation one wins, and the older one is told to stop', async () => {
    const { s3, target } = await s3ForMoto(moto(), 's3ship-fence');
    let fenced = 0;
    const first = await startMaster(s3, target, tmp.dir('m1'), { onFenced: () => fenced++ });
    for (let i = 0; i < 20; i++) await first.store.create(`/m1/${i}`, enc('v'));
    await first.shipper.flush();
    // Two replacements claim at once; each gets a distinct generation, never the same one.
    const { claimGeneration } = await import('../../../../src/control-plane/store/shipping/lease.js');
    const claims = await Promise.all([claimGeneration(s3, target, 'r1'), claimGeneration(s3, target, 'r2')]);
    expect(new Set(claims).size).toBe(2);
    expect(claims.sort()).toEqual([2, 3]);
    await until(() => fenced === 1, 5_000, 'the first master to be fenced');
    expect(first.shipper.status().fenced).toBe(true);
    await first.store.close();
    await first.shipper.stop();
    // A replacement with an empty data directory restores what the first one shipped.
    const second = await startMaster(s3, target, tmp.dir('m2'));
    expect(second.prepared).toMatchObject({ generation: 4, restored: true });
    expect((await second.store.range('/m1/', { prefix: true })).kvs).toHaveLength(20);
    await second.store.close();
    await second.shipper.stop();
    // The old master's data directory was superseded by a newer generation: refused, not shipped.
    await expect(
      prepareShipping({ s3, target, dataDir: tmp.dir('m1'), holder: 'm1', graceMs: 0 }),
    ).rejects.toThrow(/holds state of generation 1, but generation 4 in S3 is newer/);
  }, 60_000);
});
