import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../src/control-plane/store/embedded/embedded-store.js';
import { RecordingEvents } from '../../../src/events.js';
import { collect } from './contract.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-recovery-${process.pid}-`));
let n = 0;
const fresh = () => join(root, `d${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('wal-'))
    .sort();

describe('embedded store recovery', () => {
  it('reopens with the same keys, revision and watchable history', async () => {
    const dir = fresh();
    const store = await openEmbeddedStore({ dataDir: dir });
    const a = await store.create('/k/a', enc('a1'));
    if (!a.ok) throw new Error('create failed');
    await store.update('/k/a', enc('a2'), a.kv.modRevision);
    await store.create('/k/b', enc('b1'));
    await store.delete('/k/b');
    const revision = await store.currentRevision();
    await store.close();

    const again = await openEmbeddedStore({ dataDir: dir });
    try {
      expect(await again.currentRevision()).toBe(revision);
      expect(dec((await again.get('/k/a'))!.value)).toBe('a2');
      expect(await again.get('/k/b')).toBeUndefined();
      const past = await again.range('/k/', { prefix: true, revision: a.kv.modRevision });
      expect(past.kvs.map((kv) => dec(kv.value))).toEqual(['a1']);
      const w = await collect(again, '/k/', { prefix: true, startRevision: a.kv.modRevision });
      await w.waitForEvents(4);
      expect(w.events.map((e) => `${e.type} ${e.kv.key}`)).toEqual([
        'put /k/a',
        'put /k/a',
        'put /k/b',
        'delete /k/b',
      ]);
      await w.watch.cancel();
    } finally {
      await again.close();
    }
  });

  it('snapshots and rotates the log, and recovers from snapshot + log', async () => {
    const dir = fresh();
    const events = new RecordingEvents();
    const store = await openEmbeddedStore({
      dataDir: dir,
      segmentBytes: 8 * 1024,
      snapshotLogBytes: 16 * 1024,
      events,
    });
    const value = enc('v'.repeat(200));
    for (let i = 0; i < 300; i++) await store.create(`/s/${String(i).padStart(4, '0')}`, value);
    for (let i = 0; i < 300; i += 3) await store.delete(`/s/${String(i).padStart(4, '0')}`);
    const revision = await store.currentRevision();
    await store.close();
    expect(events.codes()).toContain('store.snapshot');
    const files = readdirSync(dir);
    // The newest snapshot and the one before it (the way back if the newest is ever damaged).
    const snaps = files.filter((f) => /^snapshot-\d+\.snap$/.test(f)).sort();
    expect(snaps).toHaveLength(2);
    // Segments older than the previous snapshot are gone.
    const older = Number(snaps[0]!.slice(9, 25));
    expect(segments(dir)[0]).toBe(`wal-${String(older + 1).padStart(16, '0')}.log`);

    const again = await openEmbeddedStore({ dataDir: dir });
    try {
      expect(await again.currentRevision()).toBe(revision);
      const all = await again.range('/s/', { prefix: true });
      expect(all.kvs).toHaveLength(200);
      expect(all.kvs[0]!.key).toBe('/s/0001');
    } finally {
      await again.close();
    }
  });

  it('cuts a torn tail off the log and keeps every complete record', async () => {
    const dir = fresh();
    const store = await openEmbeddedStore({ dataDir: dir });
    for (let i = 0; i < 20; i++) await store.create(`/t/${i}`, enc(`value-${i}`));
    const revision = await store.currentRevision();
    await store.close();
    const last = join(dir, segments(dir).at(-1)!);
    const goodSize = statSync(last).size;
    // A crash mid-append: a header promising more bytes than were written, then half a payload.
    const torn = Buffer.alloc(30);
    torn.writeUInt32LE(500, 0);
    torn.writeUInt32LE(0xdeadbeef, 4);
    appendFileSync(last, torn);

    const events = new RecordingEvents();
    const again = await openEmbeddedStore({ dataDir: dir, events });
    try {
      expect(events.codes()).toContain('store.torn-tail');
      expect(statSync(last).size).toBe(goodSize);
      expect(await again.currentRevision()).toBe(revision);
      expect((await again.range('/t/', { prefix: true })).kvs).toHaveLength(20);
      const next = await again.create('/t/next', enc('after'));
      expect(next.ok && next.kv.modRevision).toBe(revision + 1);
    } finally {
      await again.close();
    }
    const third = await openEmbeddedStore({ dataDir: dir });
    expect(dec((await third.get('/t/next'))!.value)).toBe('after');
    await third.close();
  });

  it('refuses a checksum-corrupt last record that is no torn append (bit rot in the tail)', async () => {
    const dir = fresh();
    const store = await openEmbeddedStore({ dataDir: dir });
    for (let i = 0; i < 5; i++) await store.create(`/c/${i}`, enc(`value-${i}`));
    await store.close();
    const last = join(dir, segments(dir).at(-1)!);
    const data = readFileSync(last);
    const at = data.length - 3; // inside the last record's value
    data.writeUInt8(data.readUInt8(at) ^ 0xff, at);
    writeFileSync(last, data);
    // The record is complete and acknowledged; a crash cannot flip a byte in it: refuse, not cut.
    await expect(openEmbeddedStore({ dataDir: dir })).rejects.toThrow(
      /corrupt at byte \d+ .*last good revision is 5/,
    );
    expect(readFileSync(last)).toEqual(data);
  });

  it('refuses a second open of the same data dir until the first is closed', async () => {
    const dir = fresh();
    const store = await openEmbeddedStore({ dataDir: dir });
    await expect(openEmbeddedStore({ dataDir: dir })).rejects.toMatchObject({ reason: 'Unavailable' });
    await store.close();
    const again = await openEmbeddedStore({ dataDir: dir });
    await again.close();
  });

  it('takes over a lock left by a dead owner whose PID was reused', async () => {
    const dir = fresh();
    await openEmbeddedStore({ dataDir: dir }).then((s) => s.close());
    // Same PID as ours but another (or no) start time: a reboot or a new container.
    for (const owner of [`${process.pid} 1\n`, `${process.pid}\n`]) {
      writeFileSync(join(dir, 'LOCK'), owner);
      const store = await openEmbeddedStore({ dataDir: dir });
      await store.close();
    }
  });

  it('compacts history automatically beyond historyMaxRevisions', async () => {
    const dir = fresh();
    const events = new RecordingEvents();
    const store = await openEmbeddedStore({
      dataDir: dir,
      historyMaxRevisions: 5,
      compactIntervalMs: 20,
      events,
    });
    try {
      const first = await store.create('/a/x', enc('0'));
      if (!first.ok) throw new Error('create failed');
      let last = first.kv;
      for (let i = 1; i <= 20; i++) {
        const r = await store.update('/a/x', enc(String(i)), last.modRevision);
        if (!r.ok) throw new Error('update failed');
        last = r.kv;
      }
      // Compaction runs on its own timer (it may already have run part-way): wait for the final point.
      const deadline = Date.now() + 20_000;
      const compactedBefore = (rev: number) =>
        store.range('/a/', { prefix: true, revision: rev }).then(
          () => false,
          () => true,
        );
      while (!(await compactedBefore(last.modRevision - 5)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(events.codes()).toContain('store.compacted');
      const old = await collect(store, '/a/', { prefix: true, startRevision: first.kv.modRevision });
      await old.waitForError();
      expect(old.errors[0]!.reason).toBe('Compacted');
      expect(old.errors[0]!.compactRevision).toBe(last.modRevision - 4);
      const recent = await collect(store, '/a/', { prefix: true, startRevision: last.modRevision - 4 });
      await recent.waitForEvents(5);
      expect(recent.events.map((e) => dec(e.kv.value))).toEqual(['16', '17', '18', '19', '20']);
      await old.watch.cancel();
      await recent.watch.cancel();
    } finally {
      await store.close();
    }
  });
});
