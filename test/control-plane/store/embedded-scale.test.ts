import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../src/control-plane/store/embedded/embedded-store.js';

const root = mkdtempSync(join(tmpdir(), `tugboat-scale-${process.pid}-`));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const RECORDS = 150_000;

describe('embedded store at scale', () => {
  it(`reopens a single log segment of ${RECORDS} records (no step whose stack grows with the log)`, async () => {
    const dir = join(root, 'one-segment');
    // Rotation off: the whole log in one segment, as a store below the old 64 MiB size limit had it.
    const options = { dataDir: dir, segmentRecords: 1e9, segmentBytes: 2 ** 40, compactIntervalMs: 0 };
    const store = await openEmbeddedStore(options);
    const value = new TextEncoder().encode('v');
    const key = (i: number) => `/s/${String(i).padStart(6, '0')}`;
    for (let i = 0; i < RECORDS; i += 5_000) {
      const batch: Promise<unknown>[] = [];
      // Descending within each batch: the log is out of key order, yet each live insert stays cheap.
      for (let j = i + 4_999; j >= i; j--) batch.push(store.create(key(j), value));
      await Promise.all(batch);
    }
    await store.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('wal-'))).toHaveLength(1);

    const again = await openEmbeddedStore(options);
    try {
      expect(await again.currentRevision()).toBe(RECORDS + 1);
      const all = await again.range('/s/', { prefix: true });
      expect(all.kvs).toHaveLength(RECORDS);
      // Keys were logged out of order; ranges still come back sorted.
      expect(all.kvs[0]!.key).toBe(key(0));
      expect(all.kvs[RECORDS - 1]!.key).toBe(key(RECORDS - 1));
      expect(all.kvs.every((kv, i) => i === 0 || all.kvs[i - 1]!.key < kv.key)).toBe(true);
    } finally {
      await again.close();
    }
  }, 120_000);
});
