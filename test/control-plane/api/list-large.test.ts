import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeObject } from '../../../src/control-plane/api/objects.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';

const OBJECTS = 150_000;
let srv: RunningApiServer;

beforeAll(async () => {
  srv = await startApiServer();
  // Straight into the store (the API's create path would take minutes for this many).
  for (let i = 0; i < OBJECTS; i += 5_000) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < i + 5_000; j++) {
      const name = `cm-${String(j).padStart(6, '0')}`;
      const obj = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'big', uid: `00000000-0000-4000-8000-${String(j).padStart(12, '0')}` },
        data: { k: 'v' },
      };
      batch.push(srv.store.create(`/registry/configmaps/big/${name}`, encodeObject(obj)));
    }
    await Promise.all(batch);
  }
}, 180_000);
afterAll(async () => {
  await srv?.stop();
});

describe('unpaginated lists of any size', () => {
  for (const query of ['', '?resourceVersion=0']) {
    it(`serves ${OBJECTS} objects in one list${query ? ` with ${query.slice(1)}` : ''} (no 500)`, async () => {
      const res = await fetch(`${srv.url}/api/v1/namespaces/big/configmaps${query}`);
      const text = await res.text();
      expect(res.status, text.slice(0, 300)).toBe(200);
      const list = JSON.parse(text) as { kind: string; items: { metadata: { name: string } }[] };
      expect(list.kind).toBe('ConfigMapList');
      expect(list.items).toHaveLength(OBJECTS);
      expect(list.items[OBJECTS - 1]!.metadata.name).toBe(`cm-${String(OBJECTS - 1).padStart(6, '0')}`);
    }, 120_000);
  }
});
