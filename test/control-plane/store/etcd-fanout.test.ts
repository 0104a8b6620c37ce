import { describe, expect, it } from 'vitest';
import { WatchFanout } from '../../../src/control-plane/store/etcd-fanout.js';
import { StoreError, type WatchEvent, type WatchHandlers } from '../../../src/control-plane/store/types.js';

/** A fake upstream: records each opened stream so the test can push events into it. */
function fakeEtcd() {
  let revision = 10;
  const streams: {
    key: string;
    prefix: boolean;
    start: number;
    handlers: WatchHandlers;
    cancelled: boolean;
  }[] = [];
  const event = (key: string): WatchEvent => {
    revision++;
    return {
      type: 'put',
      kv: { key, value: new Uint8Array(), createRevision: revision, modRevision: revision },
    };
  };
  const fanout = new WatchFanout(
    async (key, prefix, start, handlers) => {
      const stream = { key, prefix, start, handlers, cancelled: false };
      streams.push(stream);
      return {
        cancel: async () => {
          stream.cancelled = true;
        },
      };
    },
    async () => revision,
  );
  /** Commits a change and sends it to every open stream that covers it. */
  const commit = (key: string) => {
    const e = event(key);
    for (const s of streams) {
      if (!s.cancelled && e.kv.modRevision >= s.start && (s.prefix ? key.startsWith(s.key) : key === s.key))
        s.handlers.onEvents([e]);
    }
    return e.kv.modRevision;
  };
  return { fanout, streams, commit, revision: () => revision };
}

const recorder = () => {
  const revs: number[] = [];
  const errors: StoreError[] = [];
  return {
    revs,
    errors,
    handlers: {
      onEvents: (es: readonly WatchEvent[]) => revs.push(...es.map((e) => e.kv.modRevision)),
      onError: (e: StoreError) => errors.push(e),
    },
  };
};

describe('etcd watch fan-out', () => {
  it('serves many watchers on one range from a single upstream stream', async () => {
    const etcd = fakeEtcd();
    const watchers = Array.from({ length: 50 }, recorder);
    const handles = await Promise.all(
      watchers.map((w) => etcd.fanout.watch('/pods/', true, undefined, w.handlers)),
    );
    expect(etcd.streams).toHaveLength(1);
    const r1 = etcd.commit('/pods/a');
    const r2 = etcd.commit('/pods/b');
    for (const w of watchers) expect(w.revs).toEqual([r1, r2]);
    await Promise.all(handles.map((h) => h.cancel()));
    expect(etcd.streams[0]!.cancelled).toBe(true);
  });

  it('replays recent events to a watcher joining slightly in the past, and opens its own stream when too old', async () => {
    const etcd = fakeEtcd();
    const before = etcd.revision();
    const first = recorder();
    const h1 = await etcd.fanout.watch('/pods/', true, undefined, first.handlers);
    const r1 = etcd.commit('/pods/a');
    const r2 = etcd.commit('/pods/b');
    const late = recorder();
    const h2 = await etcd.fanout.watch('/pods/', true, r2, late.handlers);
    expect(etcd.streams).toHaveLength(1);
    expect(late.revs).toEqual([r2]);
    const old = recorder();
    const h3 = await etcd.fanout.watch('/pods/', true, before - 3, old.handlers);
    expect(etcd.streams).toHaveLength(2);
    expect(etcd.streams[1]!.start).toBe(before - 3);
    const r3 = etcd.commit('/pods/c');
    expect(first.revs).toEqual([r1, r2, r3]);
    expect(late.revs).toEqual([r2, r3]);
    expect(old.revs).toEqual([r3]); // the fake has no history; the point is its own stream
    await Promise.all([h1.cancel(), h2.cancel(), h3.cancel()]);
  });

  it('ends every member when the shared stream fails, and starts a fresh stream afterwards', async () => {
    const etcd = fakeEtcd();
    const a = recorder();
    const b = recorder();
    await etcd.fanout.watch('/pods/', true, undefined, a.handlers);
    await etcd.fanout.watch('/pods/', true, undefined, b.handlers);
    etcd.streams[0]!.handlers.onError(new StoreError('Unavailable', 'gone'));
    expect(a.errors).toHaveLength(1);
    expect(b.errors).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 0));
    const c = recorder();
    await etcd.fanout.watch('/pods/', true, undefined, c.handlers);
    expect(etcd.streams).toHaveLength(2);
    const r = etcd.commit('/pods/x');
    expect(c.revs).toEqual([r]);
    expect(a.revs).toEqual([]);
  });

  it('keeps a throwing handler from affecting the other watchers', async () => {
    const etcd = fakeEtcd();
    const good = recorder();
    const errors: StoreError[] = [];
    await etcd.fanout.watch('/pods/', true, undefined, {
      onEvents: () => {
        throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    await etcd.fanout.watch('/pods/', true, undefined, good.handlers);
    const r1 = etcd.commit('/pods/a');
    const r2 = etcd.commit('/pods/b');
    expect(good.revs).toEqual([r1, r2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/boom/);
  });
});
