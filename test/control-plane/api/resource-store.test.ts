import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceStore } from '../../../src/control-plane/api/resource-store.js';
import { findResource } from '../../../src/control-plane/registry/index.js';
import { createStore, type Store } from '../../../src/control-plane/store/index.js';

const dir = mkdtempSync(join(tmpdir(), `tugboat-rs-${process.pid}-`));
let store: Store;
const cm = findResource('', 'v1', 'configmaps')!;

beforeAll(async () => {
  store = await createStore({ kind: 'embedded', dataDir: dir });
  const rs = new ResourceStore(store);
  for (let i = 0; i < 10; i++) {
    await rs.create(cm, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `c-${i}`, namespace: 'ns' },
    });
  }
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ResourceStore.list', () => {
  it('reads large lists in store chunks at one revision', async () => {
    const rs = new ResourceStore(store, { chunkSize: 3 });
    const before = await store.currentRevision();
    const all = await rs.list(cm, 'ns');
    expect(all.items.map((o) => o.metadata?.name)).toEqual(Array.from({ length: 10 }, (_, i) => `c-${i}`));
    expect(all.revision).toBe(before);
    expect(all.nextKey).toBeUndefined();
  });

  it('pages with limit and continues from the next key at the same revision', async () => {
    const rs = new ResourceStore(store, { chunkSize: 3 });
    const first = await rs.list(cm, 'ns', { limit: 4 });
    expect(first.items.map((o) => o.metadata?.name)).toEqual(['c-0', 'c-1', 'c-2', 'c-3']);
    await rs.create(cm, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c-05', namespace: 'ns' } });
    const rest = await rs.list(cm, 'ns', { startKey: first.nextKey, revision: first.revision });
    expect(rest.items.map((o) => o.metadata?.name)).toEqual(['c-4', 'c-5', 'c-6', 'c-7', 'c-8', 'c-9']);
  });
});
