import { describe, expect, it } from 'vitest';
import { mergePatch, strategicMerge } from '../../../src/control-plane/api/strategic-merge.js';

const pod = {
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'app:1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80 }],
      },
      { name: 'side', image: 'side:1' },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
    tolerations: [{ key: 'k' }],
  },
};

describe('strategic merge patch', () => {
  it('merges containers by name and env by name, keeping unmentioned items', () => {
    const out = strategicMerge(pod, {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'app:2',
            env: [
              { name: 'B', value: 'two' },
              { name: 'C', value: '3' },
            ],
          },
        ],
      },
    }) as typeof pod;
    expect(out.spec.containers.map((c) => [c.name, c.image])).toEqual([
      ['app', 'app:2'],
      ['side', 'side:1'],
    ]);
    expect(out.spec.containers[0]!.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
      { name: 'C', value: '3' },
    ]);
    expect(out.spec.containers[0]!.ports).toEqual([{ containerPort: 80 }]);
  });

  it('honours $patch delete and replace, null deletes, and replaces lists without a merge key', () => {
    const out = strategicMerge(pod, {
      metadata: { labels: { a: null } },
      spec: {
        containers: [{ name: 'side', $patch: 'delete' }],
        volumes: [{ $patch: 'replace' }, { name: 'cache', emptyDir: {} }],
        tolerations: [{ key: 'other' }],
      },
    }) as typeof pod;
    expect(out.metadata.labels).toEqual({ b: '2' });
    expect(out.spec.containers.map((c) => c.name)).toEqual(['app']);
    expect(out.spec.volumes).toEqual([{ name: 'cache', emptyDir: {} }]);
    expect(out.spec.tolerations).toEqual([{ key: 'other' }]);
  });

  it('merges finalizers as a set and deletes from primitive lists', () => {
    const added = strategicMerge(pod, { metadata: { finalizers: ['y', 'x'] } }) as typeof pod;
    expect(added.metadata.finalizers).toEqual(['x', 'y']);
    const removed = strategicMerge(added, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] },
    }) as typeof pod;
    expect(removed.metadata.finalizers).toEqual(['y']);
  });

  it('rejects a merge-keyed list item without its key', () => {
    expect(() => strategicMerge(pod, { spec: { containers: [{ image: 'x' }] } })).toThrow(/merge key "name"/);
  });

  it('does not modify its inputs; JSON merge patch replaces lists', () => {
    const before = JSON.stringify(pod);
    strategicMerge(pod, { spec: { containers: [{ name: 'app', image: 'z' }] } });
    const merged = mergePatch(pod, {
      spec: { containers: [{ name: 'only' }] },
      metadata: { labels: { b: null } },
    }) as typeof pod;
    expect(JSON.stringify(pod)).toBe(before);
    expect(merged.spec.containers).toEqual([{ name: 'only' }]);
    expect(merged.metadata.labels).toEqual({ a: '1' });
  });
});
