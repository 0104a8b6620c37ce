import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type Store, type WatchEvent } from '../../../src/control-plane/store/index.js';
import { type EtcdCluster, startEtcd } from '../../harness/etcd.js';
import { prng } from '../../support/prng.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A comparable rendering of any store result or error. */
function show(result: unknown): unknown {
  if (result === undefined) return null;
  return JSON.parse(
    JSON.stringify(result, (_k, v) => {
      if (v instanceof Uint8Array) return dec(v);
      if (v instanceof Error) return { error: (v as { reason?: string }).reason ?? v.message };
      return v;
    }),
  );
}

/**
 * Differential test: the same random operations against the embedded store and a fresh etcd
 * (revisions start at 1 in both and only successful writes advance them, so results must be
 * identical, revisions included). etcd is the reference for the semantics we copy.
 */
describe('embedded store matches etcd operation for operation', () => {
  let etcd: EtcdCluster;
  const dir = mkdtempSync(join(tmpdir(), `tugboat-diff-${process.pid}-`));
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('agrees on 400 random creates, updates, deletes, ranges, compactions, a reopen and a final watch', async () => {
    // STORE_DIFF_SEED replays or explores other sequences; the default keeps CI deterministic.
    const seed = Number(process.env.STORE_DIFF_SEED ?? 20261125);
    const rand = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
    // Small segments: snapshots and log rotation happen along the way, and a reopen mid-run recovers.
    const openEmbedded = () =>
      createStore({ kind: 'embedded', dataDir: join(dir, 'e'), compactIntervalMs: 0, segmentBytes: 2048 });
    let embedded = await openEmbedded();
    // An empty prefix: the fresh etcd holds nothing else, so its revisions match the embedded store's.
    const reference = await createStore({
      kind: 'etcd',
      endpoints: etcd.endpoints,
      prefix: '',
      compactIntervalMs: 0,
    });
    const stores: Store[] = [embedded, reference];
    const keys = Array.from({ length: 12 }, (_, i) => `/r/${pick(['a', 'b'])}/${i}`);
    let compacted = 0;
    try {
      for (let step = 0; step < 400; step++) {
        if (step === 200) {
          await embedded.close();
          embedded = await openEmbedded();
          stores[0] = embedded;
        }
        const key = pick(keys);
        const current = (await embedded.get(key))?.modRevision ?? 0;
        const revision = await embedded.currentRevision();
        const value = enc(`v${step}`);
        const roll = rand();
        let op: (s: Store) => Promise<unknown>;
        let what: string;
        if (roll < 0.3) {
          what = `create ${key}`;
          op = (s) => s.create(key, value);
        } else if (roll < 0.55) {
          const expected = rand() < 0.8 ? current : Math.max(1, current - 1);
          what = `update ${key} @${expected}`;
          op = (s) => s.update(key, value, expected);
        } else if (roll < 0.7) {
          const expected = rand() < 0.5 ? undefined : rand() < 0.8 ? current : current + 1;
          what = `delete ${key} @${expected}`;
          op = (s) => s.delete(key, expected);
        } else if (roll < 0.95) {
          const at = rand() < 0.5 ? undefined : Math.max(1, Math.floor(rand() * (revision + 3)));
          const limit = rand() < 0.5 ? undefined : 1 + Math.floor(rand() * 4);
          const startKey = rand() < 0.3 ? `/r/${pick(['a', 'b'])}/${Math.floor(rand() * 12)}` : undefined;
          const prefix = pick(['/r/', '/r/a/', '/r/b/']);
          what = `range ${prefix} at=${at} limit=${limit} start=${startKey}`;
          op = (s) => s.range(prefix, { prefix: true, revision: at, limit, startKey });
        } else {
          const to = Math.max(1, Math.floor(rand() * (revision + 1)));
          compacted = Math.max(compacted, to);
          what = `compact ${to}`;
          op = (s) => s.compact(to);
        }
        const [mine, theirs] = await Promise.all(stores.map((s) => op(s).catch((err: unknown) => err)));
        expect(show(mine), `step ${step} (seed ${seed}): ${what}`).toEqual(show(theirs));
      }
      // Both stores deliver the same retained history to a watch from the compaction point.
      const from = Math.max(compacted, 1);
      const histories = await Promise.all(
        stores.map(async (s) => {
          const events: WatchEvent[] = [];
          const target = await s.currentRevision();
          const w = await s.watch(
            '/r/',
            { prefix: true, startRevision: from },
            {
              onEvents: (batch) => events.push(...batch),
              onError: (err) =>
                events.push({
                  type: 'delete',
                  kv: { key: err.message, value: enc(''), createRevision: 0, modRevision: -1 },
                }),
            },
          );
          const deadline = Date.now() + 20_000;
          while ((events.at(-1)?.kv.modRevision ?? 0) < target && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 20));
          }
          await w.cancel();
          return events.map(
            (e) => `${e.type} ${e.kv.key} ${dec(e.kv.value)} @${e.kv.modRevision}/${e.kv.createRevision}`,
          );
        }),
      );
      expect(histories[0]!.length).toBeGreaterThan(0);
      expect(histories[0]).toEqual(histories[1]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
