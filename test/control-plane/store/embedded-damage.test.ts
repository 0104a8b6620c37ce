import {
  appendFileSync,
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreDamageError } from '../../../src/control-plane/store/embedded/damage.js';
import {
  type EmbeddedStoreOptions,
  openEmbeddedStore,
} from '../../../src/control-plane/store/embedded/embedded-store.js';
import { crc32, encodePayload, RecordType } from '../../../src/control-plane/store/embedded/record.js';
import { repairStore } from '../../../src/control-plane/store/embedded/repair.js';
import { RecordingEvents } from '../../../src/events.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-damage-${process.pid}-`));
let n = 0;
const fresh = () => join(root, `d${n++}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const enc = (s: string) => new TextEncoder().encode(s);
const files = (dir: string, prefix: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .sort();
const key = (i: number) => `/d/${String(i).padStart(4, '0')}`;

/** A store with `count` keys written 25 at a time; returns its revision. */
async function fill(dir: string, count: number, options: Partial<EmbeddedStoreOptions> = {}) {
  const store = await openEmbeddedStore({ dataDir: dir, compactIntervalMs: 0, ...options });
  for (let i = 0; i < count; i += 25) {
    const batch = Array.from({ length: Math.min(25, count - i) }, (_, j) =>
      store.create(key(i + j), enc(`value-${i + j}-${'x'.repeat(100)}`)),
    );
    await Promise.all(batch);
  }
  const revision = await store.currentRevision();
  await store.close();
  return revision;
}

function flipByte(path: string, at: number): void {
  const data = readFileSync(path);
  data.writeUInt8(data.readUInt8(at) ^ 0x5a, at);
  writeFileSync(path, data);
}

async function openError(dir: string): Promise<StoreDamageError> {
  const err = await openEmbeddedStore({ dataDir: dir }).then(
    async (s) => {
      await s.close();
      throw new Error('the store opened');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreDamageError);
  return err as StoreDamageError;
}

describe('embedded store damage', () => {
  it('refuses a flipped byte at 10% of a one-segment log, and repair cuts there keeping a copy', async () => {
    const dir = fresh();
    await fill(dir, 300);
    const [segment] = files(dir, 'wal-');
    const path = join(dir, segment!);
    const size = statSync(path).size;
    const at = Math.floor(size * 0.1);
    flipByte(path, at);

    const err = await openError(dir);
    expect(err.kind).toBe('segment');
    expect(err.file).toBe(segment);
    expect(err.offset).toBeLessThanOrEqual(at);
    expect(err.offset).toBeGreaterThan(at - 200);
    // 300 records of equal size: the damaged one is about the 30th.
    expect(err.lastGoodRevision).toBeGreaterThan(20);
    expect(err.lastGoodRevision).toBeLessThan(40);
    expect(err.dropped).toBe(301 - err.lastGoodRevision - 1);
    expect(err.message).toContain(path);
    expect(err.message).toContain(`corrupt at byte ${err.offset}`);
    expect(err.message).toContain(`last good revision is ${err.lastGoodRevision}`);
    expect(err.message).toContain(`tugboat store repair ${dir}`);
    expect(statSync(path).size).toBe(size); // nothing was cut

    const plan = await repairStore(dir, { dryRun: true });
    expect(plan.status).toBe('planned');
    expect(plan.steps[0]).toMatchObject({ file: segment, offset: err.offset, droppedWrites: err.dropped });
    expect(statSync(path).size).toBe(size);

    const report = await repairStore(dir, { now: new Date('2026-12-02T10:00:00Z') });
    expect(report.status).toBe('repaired');
    expect(report.backupDir).toBe(join(dir, 'repair-2026-12-02T10-00-00-000Z'));
    const copy = readFileSync(join(report.backupDir!, `${segment}.from-${err.offset}`));
    expect(copy.length).toBe(size - err.offset);
    expect(statSync(path).size).toBe(err.offset);
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      expect(await store.currentRevision()).toBe(err.lastGoodRevision);
      expect((await store.range('/d/', { prefix: true })).kvs).toHaveLength(err.lastGoodRevision - 1);
      expect((await store.create('/d/new', enc('after repair'))).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('refuses a corrupt segment that is not the last, counting the writes after it', async () => {
    const dir = fresh();
    await fill(dir, 200, { segmentRecords: 40 });
    const segments = files(dir, 'wal-');
    expect(segments.length).toBeGreaterThanOrEqual(4);
    const first = join(dir, segments[0]!);
    flipByte(first, Math.floor(statSync(first).size / 2));
    const err = await openError(dir);
    expect(err.kind).toBe('segment');
    expect(err.file).toBe(segments[0]);
    expect(err.dropped).toBe(201 - err.lastGoodRevision - 1);
    expect(err.message).toMatch(/refusing to start/);
  });

  it('refuses a corrupt snapshot, and repair rebuilds from the older snapshot and the log losing nothing', async () => {
    const dir = fresh();
    const revision = await fill(dir, 200, { segmentRecords: 30, snapshotLogBytes: 1 });
    const snapshots = files(dir, 'snapshot-');
    expect(snapshots).toHaveLength(2);
    const newest = join(dir, snapshots[1]!);
    flipByte(newest, Math.floor(statSync(newest).size / 2));

    const err = await openError(dir);
    expect(err.kind).toBe('snapshot');
    expect(err.file).toBe(snapshots[1]);
    expect(err.message).toContain(`${newest} is corrupt at byte ${err.offset}`);

    const report = await repairStore(dir);
    expect(report.status).toBe('repaired');
    expect(report.steps).toMatchObject([{ kind: 'snapshot', droppedWrites: 0 }]);
    expect(readdirSync(report.backupDir!)).toEqual([snapshots[1]]);
    const store = await openEmbeddedStore({ dataDir: dir });
    try {
      expect(await store.currentRevision()).toBe(revision);
      expect((await store.range('/d/', { prefix: true })).kvs).toHaveLength(200);
    } finally {
      await store.close();
    }
  });

  it('refuses to start when the log is gone or its newest segment is missing', async () => {
    const all = fresh();
    await fill(all, 50);
    for (const f of files(all, 'wal-')) unlinkSync(join(all, f));
    expect((await openError(all)).kind).toBe('missing-log');
    expect((await repairStore(all)).status).toBe('unrepairable');

    const newest = fresh();
    await fill(newest, 100, { segmentRecords: 30 });
    const segments = files(newest, 'wal-');
    unlinkSync(join(newest, segments.at(-1)!));
    const err = await openError(newest);
    expect(err.kind).toBe('missing-log');
    expect(err.message).toContain(segments.at(-1));
  });

  it('cuts a torn tail that reads back as zeros (a power loss mid-append) and keeps the rest', async () => {
    const dir = fresh();
    const store = await openEmbeddedStore({ dataDir: dir });
    await store.create('/z/a', enc('a'));
    await store.create('/z/big', enc('b'.repeat(3000)));
    await store.close();
    const path = join(dir, files(dir, 'wal-')[0]!);
    const data = readFileSync(path);
    // The last record's end never reached the disk: its last 2 KiB are zeros, then zero padding.
    data.fill(0, data.length - 2048);
    writeFileSync(path, data);
    appendFileSync(path, Buffer.alloc(1000));
    const events = new RecordingEvents();
    const again = await openEmbeddedStore({ dataDir: dir, events });
    try {
      expect(events.codes()).toContain('store.torn-tail');
      expect(await again.get('/z/a')).toBeDefined();
      expect(await again.get('/z/big')).toBeUndefined();
    } finally {
      await again.close();
    }
  });

  it('keeps files 0600 and the directory 0700, and tightens an older store', async () => {
    const dir = fresh();
    await fill(dir, 100, { segmentRecords: 30, snapshotLogBytes: 1 });
    chmodSync(dir, 0o755);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
    const store = await openEmbeddedStore({ dataDir: dir, segmentRecords: 30, snapshotLogBytes: 1 });
    for (let i = 0; i < 40; i++) await store.create(`/m/${i}`, enc('secret'));
    await store.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const modes = readdirSync(dir).map((f) => `${f} ${(statSync(join(dir, f)).mode & 0o777).toString(8)}`);
    expect(modes.length).toBeGreaterThan(3);
    for (const mode of modes) expect(mode).toMatch(/ 600$/);
  });

  it('migrates a format-1 data directory and keeps the old files aside', async () => {
    const dir = fresh();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    // Format 1: no file header, [u32 length][u32 crc32(payload)][payload] per record.
    const frames = Array.from({ length: 10 }, (_, i) => {
      const payload = encodePayload({
        type: RecordType.Put,
        revision: i + 2,
        createRevision: i + 2,
        key: `/old/${i}`,
        value: enc(`v${i}`),
      });
      const head = Buffer.alloc(8);
      head.writeUInt32LE(payload.length, 0);
      head.writeUInt32LE(crc32(payload, 0), 4);
      return Buffer.concat([head, payload]);
    });
    const old = 'wal-0000000000000002.log';
    writeFileSync(join(dir, old), Buffer.concat(frames), { mode: 0o644 });
    const events = new RecordingEvents();
    const store = await openEmbeddedStore({ dataDir: dir, events });
    try {
      expect(events.codes()).toContain('store.migrated');
      expect(await store.currentRevision()).toBe(11);
      expect((await store.range('/old/', { prefix: true })).kvs).toHaveLength(10);
      expect((await store.create('/new', enc('n'))).ok).toBe(true);
    } finally {
      await store.close();
    }
    expect(readdirSync(join(dir, 'pre-v2'))).toEqual([old]);
    for (const f of files(dir, 'wal-'))
      expect(readFileSync(join(dir, f)).subarray(0, 8).toString()).toBe('TUGWAL2\n');
    const again = await openEmbeddedStore({ dataDir: dir });
    try {
      expect(await again.currentRevision()).toBe(12);
      expect((await again.range('/', { prefix: true })).kvs).toHaveLength(11);
    } finally {
      await again.close();
    }
  });
});
