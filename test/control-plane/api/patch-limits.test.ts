import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyJsonPatch } from '../../../src/control-plane/api/json-patch.js';
import { strategicMerge } from '../../../src/control-plane/api/strategic-merge.js';
import { type RunningApiServer, startApiServer } from '../../support/api-server.js';

let srv: RunningApiServer;

async function call(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

const nodes = '/api/v1/nodes';

beforeAll(async () => {
  srv = await startApiServer();
  const created = await call('POST', nodes, {
    metadata: { name: 'victim', annotations: { a: 'x'.repeat(64) } },
  });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await srv?.stop();
});

describe('patch cost is bounded (issue #19, finding 4)', () => {
  it('rejects 20 doubling copy operations with 413 while /readyz keeps answering', async () => {
    // Each copy puts /spec inside itself: its size doubles with every operation.
    const doubling = Array.from({ length: 20 }, (_, i) => ({
      op: 'copy',
      from: '/spec',
      path: `/spec/k${i}`,
    }));
    const patch = [{ op: 'add', path: '/spec', value: { seed: 'y'.repeat(100) } }, ...doubling];
    expect(JSON.stringify(patch).length).toBeLessThan(3000);
    const started = call('PATCH', `${nodes}/victim`, patch, 'application/json-patch+json');
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(200);
    const res = await started;
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', code: 413 });
    expect(res.body.message).toContain('accumulated size increase of copy operations');
    // Nothing was stored: the object is as it was.
    const after = await call('GET', `${nodes}/victim`);
    expect(after.body.spec).toBeUndefined();
    expect(after.body.metadata.labels).toBeUndefined();
  });

  it('caps the number of JSON patch operations at 10,000 with 413', async () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/kind', value: 'Node' }));
    const res = await call('PATCH', `${nodes}/victim`, ops, 'application/json-patch+json');
    expect(res.status).toBe(413);
    expect(res.body.message).toContain('The allowed maximum operations in a JSON patch is 10000, got 10001');
    const ok = await call('PATCH', `${nodes}/victim`, ops.slice(1), 'application/json-patch+json');
    expect(ok.status).toBe(200);
  });

  it('refuses a copy that would nest the object past 100 levels with 422', async () => {
    let chain: Record<string, unknown> = {};
    for (let i = 0; i < 60; i++) chain = { n: chain };
    const leaf = `/spec${'/n'.repeat(60)}`;
    const ops = [
      { op: 'add', path: '/spec', value: chain },
      { op: 'copy', from: '/spec', path: `${leaf}/again` },
    ];
    const res = await call('PATCH', `${nodes}/victim`, ops, 'application/json-patch+json');
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('deeper than 100 levels');
  });

  it('answers 413 when the patched object passes the 1.5 MiB object limit', async () => {
    const big = 'b'.repeat(900_000);
    const res = await call(
      'PATCH',
      `${nodes}/victim`,
      [
        // Not annotations: their 256 KiB total is checked first (422), as kube-apiserver's validation does.
        { op: 'add', path: '/spec', value: {} },
        { op: 'add', path: '/spec/providerID', value: big },
        { op: 'copy', from: '/spec/providerID', path: '/spec/externalID' },
      ],
      'application/json-patch+json',
    );
    expect(res.status).toBe(413);
    expect(res.body.reason).toBe('RequestEntityTooLarge');
  });
});

describe('applyJsonPatch', () => {
  it('follows RFC 6902 for add, remove, replace, move, copy and test', () => {
    const doc = { a: [1, 2], b: { c: 'd' }, 'x/y': 1, 't~': 2 };
    const out = applyJsonPatch(structuredClone(doc), [
      { op: 'add', path: '/a/1', value: 9 },
      { op: 'add', path: '/a/-', value: 3 },
      { op: 'remove', path: '/a/0' },
      { op: 'replace', path: '/b/c', value: 'e' },
      { op: 'move', from: '/x~1y', path: '/moved' },
      { op: 'copy', from: '/t~0', path: '/copied' },
      { op: 'test', path: '/a', value: [9, 2, 3] },
    ]);
    expect(out).toEqual({ a: [9, 2, 3], b: { c: 'e' }, moved: 1, 't~': 2, copied: 2 });
  });

  it('answers 422 for missing paths, failed tests and moves into a child; 400 for malformed ops', () => {
    const code = (patch: unknown) => {
      try {
        applyJsonPatch({ a: { b: 1 }, l: [] }, patch);
        return 200;
      } catch (err) {
        return (err as { code: number }).code;
      }
    };
    expect(code([{ op: 'replace', path: '/nope/deeper', value: 1 }])).toBe(422);
    expect(code([{ op: 'remove', path: '/nope' }])).toBe(422);
    expect(code([{ op: 'test', path: '/a/b', value: 2 }])).toBe(422);
    expect(code([{ op: 'move', from: '/a', path: '/a/c' }])).toBe(422);
    expect(code([{ op: 'add', path: '/l/5', value: 1 }])).toBe(422);
    expect(code([{ op: 'add', path: '/l/01', value: 1 }])).toBe(422);
    expect(code([{ op: 'frobnicate', path: '/a' }])).toBe(400);
    expect(code([{ op: 'add', path: 'a', value: 1 }])).toBe(400);
    expect(code([{ op: 'add', path: '/a' }])).toBe(400);
    expect(code({ op: 'add' })).toBe(400);
  });

  it('keeps __proto__ as a plain key and never changes a prototype', () => {
    const out = applyJsonPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true}}');
  });

  it('bounds the element shifts of list inserts', () => {
    const doc = { l: Array.from({ length: 1000 }, (_, i) => i) };
    const ops = Array.from({ length: 100 }, () => ({ op: 'add', path: '/l/0', value: 0 }));
    expect(() => applyJsonPatch(doc, ops, { maxArrayShifts: 50_000 })).toThrow(
      /shift too many list elements/,
    );
  });
});

describe('strategic merge of large lists', () => {
  it('merges 60,000 keyed items in linear time and keeps first-match semantics', () => {
    const original = {
      spec: {
        containers: [
          { name: 'a', image: '1' },
          { name: 'a', image: 'dup' },
        ],
      },
    };
    const items = Array.from({ length: 60_000 }, (_, i) => ({ name: `c${i}`, image: 'x' }));
    const merged = strategicMerge(original, {
      spec: { containers: [{ name: 'a', image: '2' }, ...items, { name: 'c5', $patch: 'delete' }] },
    }) as { spec: { containers: Array<{ name: string; image: string }> } };
    expect(merged.spec.containers).toHaveLength(60_001);
    expect(merged.spec.containers[0]).toEqual({ name: 'a', image: '2' });
    expect(merged.spec.containers[1]).toEqual({ name: 'a', image: 'dup' });
    expect(merged.spec.containers.some((c) => c.name === 'c5')).toBe(false);
  });
});
