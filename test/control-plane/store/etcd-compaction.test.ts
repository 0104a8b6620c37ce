import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../../src/control-plane/store/index.js';
import { RecordingEvents } from '../../../src/events.js';
import { type EtcdCluster, startEtcd } from '../../harness/etcd.js';
import { collect } from './contract.js';

describe('etcd store automatic compaction', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('compacts history to the revision seen one interval earlier', async () => {
    const events = new RecordingEvents();
    const store = await createStore({
      kind: 'etcd',
      endpoints: etcd.endpoints,
      prefix: '/compaction',
      compactIntervalMs: 200,
      events,
    });
    try {
      const first = await store.create('/a/x', new TextEncoder().encode('1'));
      if (!first.ok) throw new Error('create failed');
      await store.create('/a/y', new TextEncoder().encode('2'));
      const deadline = Date.now() + 30_000;
      while (!events.codes().includes('store.compacted') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const compacted = events.events.find((e) => e.code === 'store.compacted');
      expect(compacted).toBeDefined();
      const w = await collect(store, '/a/', { prefix: true, startRevision: first.kv.modRevision });
      await w.waitForError();
      expect(w.errors[0]!.reason).toBe('Compacted');
      await w.watch.cancel();
      // The newest state is untouched.
      expect((await store.range('/a/', { prefix: true })).kvs).toHaveLength(2);
    } finally {
      await store.close();
    }
  });
});
