import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Store,
  StoreError,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from '../../../src/control-plane/store/index.js';

/** Makes a fresh, empty store for one test (a new data dir, or a new etcd key prefix). */
export type StoreFactory = () => Promise<Store>;

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Collects a watch's events and errors, with bounded waits. */
export async function collect(store: Store, key: string, options: WatchOptions) {
  const events: WatchEvent[] = [];
  const errors: StoreError[] = [];
  const watch: Watch = await store.watch(key, options, {
    onEvents: (batch) => events.push(...batch),
    onError: (err) => errors.push(err),
  });
  const until = async (what: string, done: () => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(summary())}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const summary = () => ({
    events: events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision}`),
    errors: errors.map((e) => e.message),
  });
  return {
    events,
    errors,
    watch,
    summary,
    waitForEvents: (n: number) => until(`${n} events`, () => events.length >= n),
    waitForError: () => until('an error', () => errors.length > 0),
  };
}

/**
 * The behaviour every Store backend must have. Run it from a backend's test file with a factory
 * that returns a fresh store; the suite closes each store after its test.
 */
export function storeContract(name: string, factory: StoreFactory): void {
  describe(`${name}: store contract`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('creates a key once and reports the existing value on a second create', async () => {
      const before = await store.currentRevision();
      const first = await store.create('/r/pods/a', enc('one'));
      expect(first.ok).toBe(true);
      if (!first.ok) return;
      expect(first.kv.modRevision).toBeGreaterThan(before);
      expect(first.kv.createRevision).toBe(first.kv.modRevision);
      const second = await store.create('/r/pods/a', enc('two'));
      expect(second.ok).toBe(false);
      if (second.ok) return;
      expect(dec(second.current!.value)).toBe('one');
      expect(second.current!.modRevision).toBe(first.kv.modRevision);
      const got = await store.get('/r/pods/a');
      expect(got && dec(got.value)).toBe('one');
      expect(await store.get('/r/pods/missing')).toBeUndefined();
      expect(await store.currentRevision()).toBe(first.kv.modRevision);
    });

    it('updates only at the expected modRevision and keeps createRevision', async () => {
      const created = await store.create('/r/cm/x', enc('v1'));
      if (!created.ok) throw new Error('create failed');
      const updated = await store.update('/r/cm/x', enc('v2'), created.kv.modRevision);
      expect(updated.ok).toBe(true);
      if (!updated.ok) return;
      expect(updated.kv.modRevision).toBeGreaterThan(created.kv.modRevision);
      expect(updated.kv.createRevision).toBe(created.kv.createRevision);
      const stale = await store.update('/r/cm/x', enc('v3'), created.kv.modRevision);
      expect(stale.ok).toBe(false);
      if (stale.ok) return;
      expect(dec(stale.current!.value)).toBe('v2');
      expect(stale.current!.modRevision).toBe(updated.kv.modRevision);
      const missing = await store.update('/r/cm/none', enc('v'), updated.kv.modRevision);
      expect(missing).toEqual({ ok: false, current: undefined });
      expect(dec((await store.get('/r/cm/x'))!.value)).toBe('v2');
    });

    it('deletes with and without a modRevision precondition', async () => {
      const a = await store.create('/r/s/a', enc('a'));
      const b = await store.create('/r/s/b', enc('b'));
      if (!a.ok || !b.ok) throw new Error('create failed');
      const plain = await store.delete('/r/s/a');
      expect(plain.ok).toBe(true);
      expect(plain.revision).toBeGreaterThan(b.kv.modRevision);
      expect(plain.prev && dec(plain.prev.value)).toBe('a');
      expect(await store.get('/r/s/a')).toBeUndefined();
      expect((await store.delete('/r/s/a')).ok).toBe(false);
      const stale = await store.delete('/r/s/b', b.kv.modRevision - 1);
      expect(stale.ok).toBe(false);
      expect(stale.prev?.modRevision).toBe(b.kv.modRevision);
      expect(await store.get('/r/s/b')).toBeDefined();
      const exact = await store.delete('/r/s/b', b.kv.modRevision);
      expect(exact.ok).toBe(true);
      expect(await store.get('/r/s/b')).toBeUndefined();
      const again = await store.create('/r/s/a', enc('a2'));
      expect(again.ok && again.kv.createRevision).toBeGreaterThan(plain.revision);
    });

    it('ranges a prefix in key order with limit, continue and a past revision', async () => {
      for (const n of ['c', 'a', 'e', 'b', 'd']) await store.create(`/r/p/ns/${n}`, enc(n));
      await store.create('/r/p/nsx', enc('other prefix'));
      const all = await store.range('/r/p/ns/', { prefix: true });
      expect(all.kvs.map((kv) => dec(kv.value))).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(all.more).toBe(false);
      const page1 = await store.range('/r/p/ns/', { prefix: true, limit: 2 });
      expect(page1.kvs.map((kv) => dec(kv.value))).toEqual(['a', 'b']);
      expect(page1.more).toBe(true);
      // Continue at the first page's revision even though the data changes meanwhile.
      const atPage1 = page1.revision;
      const c = (await store.get('/r/p/ns/c'))!;
      await store.update('/r/p/ns/c', enc('c2'), c.modRevision);
      await store.delete('/r/p/ns/d');
      await store.create('/r/p/ns/bb', enc('bb'));
      const page2 = await store.range('/r/p/ns/', {
        prefix: true,
        limit: 2,
        startKey: `${page1.kvs[1]!.key}\0`,
        revision: atPage1,
      });
      expect(page2.kvs.map((kv) => dec(kv.value))).toEqual(['c', 'd']);
      expect(page2.more).toBe(true);
      expect(page2.revision).toBe(atPage1);
      const page3 = await store.range('/r/p/ns/', {
        prefix: true,
        limit: 2,
        startKey: `${page2.kvs[1]!.key}\0`,
        revision: atPage1,
      });
      expect(page3.kvs.map((kv) => dec(kv.value))).toEqual(['e']);
      expect(page3.more).toBe(false);
      const now = await store.range('/r/p/ns/', { prefix: true });
      expect(now.kvs.map((kv) => dec(kv.value))).toEqual(['a', 'b', 'bb', 'c2', 'e']);
      const single = await store.range('/r/p/ns/a');
      expect(single.kvs.map((kv) => kv.key)).toEqual(['/r/p/ns/a']);
    });

    it('refuses a range at a future revision', async () => {
      await store.create('/r/f/a', enc('a'));
      const future = (await store.currentRevision()) + 1000;
      await expect(store.range('/r/f/', { prefix: true, revision: future })).rejects.toMatchObject({
        reason: 'FutureRevision',
      });
    });

    it('watches from now (0), from the current revision and from a past revision', async () => {
      const a = await store.create('/r/w/a', enc('a1'));
      const b = await store.create('/r/w/b', enc('b1'));
      if (!a.ok || !b.ok) throw new Error('create failed');
      const fromNow = await collect(store, '/r/w/', { prefix: true, startRevision: 0 });
      const fromCurrent = await collect(store, '/r/w/', { prefix: true, startRevision: b.kv.modRevision });
      const fromPast = await collect(store, '/r/w/', { prefix: true, startRevision: a.kv.modRevision });
      const onlyA = await collect(store, '/r/w/a', {});
      const u = await store.update('/r/w/a', enc('a2'), a.kv.modRevision);
      await store.delete('/r/w/b');
      await store.create('/r/wx', enc('outside the prefix'));
      if (!u.ok) throw new Error('update failed');
      await fromNow.waitForEvents(2);
      await fromCurrent.waitForEvents(3);
      await fromPast.waitForEvents(4);
      await onlyA.waitForEvents(1);
      const show = (events: WatchEvent[]) => events.map((e) => `${e.type} ${e.kv.key} ${dec(e.kv.value)}`);
      expect(show(fromNow.events)).toEqual(['put /r/w/a a2', 'delete /r/w/b ']);
      expect(show(fromCurrent.events)).toEqual(['put /r/w/b b1', 'put /r/w/a a2', 'delete /r/w/b ']);
      expect(show(fromPast.events)).toEqual([
        'put /r/w/a a1',
        'put /r/w/b b1',
        'put /r/w/a a2',
        'delete /r/w/b ',
      ]);
      expect(show(onlyA.events)).toEqual(['put /r/w/a a2']);
      const update = fromNow.events[0]!;
      expect(update.kv.modRevision).toBe(u.kv.modRevision);
      expect(update.prev && dec(update.prev.value)).toBe('a1');
      const del = fromNow.events[1]!;
      expect(del.kv.modRevision).toBeGreaterThan(u.kv.modRevision);
      expect(del.prev && dec(del.prev.value)).toBe('b1');
      for (const w of [fromNow, fromCurrent, fromPast, onlyA]) {
        expect(w.errors).toEqual([]);
        await w.watch.cancel();
      }
    });

    it('fails a watch and a read from before the compaction point with Compacted', async () => {
      const first = await store.create('/r/c/a', enc('1'));
      if (!first.ok) throw new Error('create failed');
      let last = first.kv;
      for (let i = 2; i <= 5; i++) {
        const r = await store.update('/r/c/a', enc(String(i)), last.modRevision);
        if (!r.ok) throw new Error('update failed');
        last = r.kv;
      }
      await store.compact(last.modRevision);
      const old = await collect(store, '/r/c/', { prefix: true, startRevision: first.kv.modRevision });
      await old.waitForError();
      expect(old.events).toEqual([]);
      expect(old.errors[0]).toBeInstanceOf(StoreError);
      expect(old.errors[0]!.reason).toBe('Compacted');
      expect(old.errors[0]!.compactRevision).toBeGreaterThanOrEqual(last.modRevision);
      await old.watch.cancel();
      await expect(
        store.range('/r/c/', { prefix: true, revision: first.kv.modRevision }),
      ).rejects.toMatchObject({
        reason: 'Compacted',
      });
      // The compaction point itself is still readable and watchable.
      const kept = await collect(store, '/r/c/', { prefix: true, startRevision: last.modRevision });
      await kept.waitForEvents(1);
      expect(dec(kept.events[0]!.kv.value)).toBe('5');
      await kept.watch.cancel();
      expect(dec((await store.range('/r/c/a', { revision: last.modRevision })).kvs[0]!.value)).toBe('5');
    });

    it('holds a watch on a future revision until the store reaches it', async () => {
      const start = (await store.currentRevision()) + 3;
      const future = await collect(store, '/r/fut/', { prefix: true, startRevision: start });
      for (const n of ['a', 'b', 'c', 'd']) await store.create(`/r/fut/${n}`, enc(n));
      await future.waitForEvents(2);
      expect(future.events.map((e) => e.kv.key)).toEqual(['/r/fut/c', '/r/fut/d']);
      expect(future.events[0]!.kv.modRevision).toBe(start);
      expect(future.errors).toEqual([]);
      await future.watch.cancel();
    });

    it('gives concurrent writers distinct, increasing revisions and watches see them in order', async () => {
      const all = await collect(store, '/r/cc/', { prefix: true });
      const writers = 25;
      const each = 8;
      const results = await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const revs: number[] = [];
          for (let i = 0; i < each; i++) {
            const r = await store.create(`/r/cc/w${w}-${i}`, enc(`${w}:${i}`));
            if (!r.ok) throw new Error('create failed');
            revs.push(r.kv.modRevision);
          }
          return revs;
        }),
      );
      const revisions = results.flat();
      expect(new Set(revisions).size).toBe(writers * each);
      for (const revs of results)
        for (let i = 1; i < revs.length; i++) expect(revs[i]).toBeGreaterThan(revs[i - 1]!);
      expect(await store.currentRevision()).toBe(Math.max(...revisions));
      await all.waitForEvents(writers * each);
      const seen = all.events.map((e) => e.kv.modRevision);
      expect(seen).toEqual([...revisions].sort((a, b) => a - b));
      expect((await store.range('/r/cc/', { prefix: true })).kvs).toHaveLength(writers * each);
      await all.watch.cancel();
    });

    it('serialises racing conditional updates: exactly one wins', async () => {
      const c = await store.create('/r/race/x', enc('0'));
      if (!c.ok) throw new Error('create failed');
      const attempts = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.update('/r/race/x', enc(String(i + 1)), c.kv.modRevision)),
      );
      expect(attempts.filter((a) => a.ok)).toHaveLength(1);
      const winner = attempts.find((a) => a.ok);
      const current = await store.get('/r/race/x');
      expect(winner?.ok && dec(winner.kv.value)).toBe(dec(current!.value));
    });

    it('stops delivering events after cancel', async () => {
      const w = await collect(store, '/r/cancel/', { prefix: true });
      await store.create('/r/cancel/a', enc('a'));
      await w.waitForEvents(1);
      await w.watch.cancel();
      await store.create('/r/cancel/b', enc('b'));
      await store.create('/r/cancel/c', enc('c'));
      // A second watch proves the events were published before we check the cancelled one.
      const probe = await collect(store, '/r/cancel/', {
        prefix: true,
        startRevision: (await store.currentRevision()) - 1,
      });
      await probe.waitForEvents(2);
      await new Promise((r) => setTimeout(r, 200));
      expect(w.events.map((e) => e.kv.key)).toEqual(['/r/cancel/a']);
      await probe.watch.cancel();
    });

    it('returns ranges larger than a transport message limit (4 MiB)', async () => {
      const value = new Uint8Array(512 * 1024).fill(120);
      for (let i = 0; i < 12; i++) await store.create(`/r/large/${String(i).padStart(2, '0')}`, value);
      const all = await store.range('/r/large/', { prefix: true });
      expect(all.kvs).toHaveLength(12);
      expect(all.kvs.every((kv) => kv.value.length === value.length)).toBe(true);
    });

    it('refuses values above the size limit with TooLarge', async () => {
      const big = new Uint8Array(2 * 1024 * 1024);
      await expect(store.create('/r/big', big)).rejects.toMatchObject({ reason: 'TooLarge' });
      expect(await store.get('/r/big')).toBeUndefined();
      const ok = await store.create('/r/big', new Uint8Array(512 * 1024));
      expect(ok.ok).toBe(true);
    });
  });
}
