import { describe, expect, it } from 'vitest';
import { SchedulerCache } from '../../../src/control-plane/scheduler/cache.js';
import { selectNode } from '../../../src/control-plane/scheduler/select-node.js';
import { makeNode, makePod, ownerRef } from '../../support/k8s-objects.js';

function cacheOf(...nodes: ReturnType<typeof makeNode>[]): SchedulerCache {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.setNode(n);
  return cache;
}

function pick(cache: SchedulerCache, pod: ReturnType<typeof makePod>) {
  return selectNode(pod, cache, { next: 0 });
}

describe('selectNode filters', () => {
  it('rejects nodes without enough free cpu and memory, counting what is already requested', () => {
    const cache = cacheOf(makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '2', memory: '1Gi' }));
    cache.addPod('default/x', makePod('x', { cpu: '500m' }), 'a');
    expect(pick(cache, makePod('p', { cpu: '600m' }))).toMatchObject({ ok: true, node: 'b' });
    const r = pick(cache, makePod('q', { cpu: '1500m', memory: '2Gi' }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toBe('0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.');
  });

  it('writes the kube-scheduler message for taints and cpu together', () => {
    const taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const };
    const cache = cacheOf(
      makeNode('a', { taints: [taint] }),
      makeNode('b', { cpu: '1' }),
      makeNode('c', { cpu: '1' }),
    );
    const r = pick(cache, makePod('p', { cpu: '2' }));
    expect(!r.ok && r.message).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient cpu.',
    );
  });

  it('honours tolerations: Exists, Equal with value, and effect', () => {
    const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const };
    const cache = cacheOf(makeNode('a', { taints: [taint] }));
    expect(pick(cache, makePod('p')).ok).toBe(false);
    const tol = (t: object) => makePod('p', { spec: { tolerations: [t] } });
    expect(pick(cache, tol({ key: 'dedicated', operator: 'Exists' })).ok).toBe(true);
    expect(pick(cache, tol({ key: 'dedicated', value: 'gpu' })).ok).toBe(true);
    expect(pick(cache, tol({ key: 'dedicated', value: 'cpu' })).ok).toBe(false);
    expect(pick(cache, tol({ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' })).ok).toBe(false);
    expect(pick(cache, tol({ operator: 'Exists' })).ok).toBe(true);
  });

  it('ignores PreferNoSchedule taints when filtering', () => {
    const cache = cacheOf(makeNode('a', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }));
    expect(pick(cache, makePod('p')).ok).toBe(true);
  });

  it('skips unschedulable (cordoned) and not-ready nodes unless tolerated', () => {
    const cache = cacheOf(makeNode('a', { unschedulable: true }), makeNode('b', { ready: false }));
    const r = pick(cache, makePod('p'));
    expect(!r.ok && r.message).toBe(
      '0/2 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable.',
    );
    const daemon = makePod('d', {
      spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }] },
    });
    expect(pick(cache, daemon)).toMatchObject({ ok: true, node: 'a' });
  });

  it('enforces max pods per node', () => {
    const cache = cacheOf(makeNode('a', { pods: 1 }));
    cache.addPod('default/x', makePod('x'), 'a');
    const r = pick(cache, makePod('p'));
    expect(!r.ok && r.message).toBe('0/1 nodes are available: 1 Too many pods.');
    cache.removePod('default/x');
    expect(pick(cache, makePod('p')).ok).toBe(true);
  });

  it('matches nodeSelector', () => {
    const cache = cacheOf(
      makeNode('a', { labels: { disk: 'hdd' } }),
      makeNode('b', { labels: { disk: 'ssd' } }),
    );
    expect(pick(cache, makePod('p', { spec: { nodeSelector: { disk: 'ssd' } } }))).toMatchObject({
      node: 'b',
    });
    const r = pick(cache, makePod('p', { spec: { nodeSelector: { disk: 'nvme' } } }));
    expect(!r.ok && r.message).toBe(
      "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
    );
  });

  it.each([
    ['In', ['ssd'], ['b']],
    ['NotIn', ['ssd'], ['a', 'c']],
    ['Exists', undefined, ['a', 'b']],
    ['DoesNotExist', undefined, ['c']],
  ])('matches required node affinity %s', (operator, values, expected) => {
    const cache = cacheOf(
      makeNode('a', { labels: { disk: 'hdd' } }),
      makeNode('b', { labels: { disk: 'ssd' } }),
      makeNode('c'),
    );
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'disk', operator, ...(values ? { values } : {}) }] },
          ],
        },
      },
    };
    const found = new Set<string>();
    const state = { next: 0 };
    for (let i = 0; i < 6; i++) {
      const r = selectNode(makePod(`p${i}`, { spec: { affinity } as never }), cache, state);
      if (r.ok) found.add(r.node);
    }
    expect([...found].sort()).toEqual(expected);
  });
});

describe('selectNode scores', () => {
  it('prefers the least allocated node', () => {
    const cache = cacheOf(makeNode('a'), makeNode('b'));
    cache.addPod('default/x', makePod('x', { cpu: '2', memory: '4Gi' }), 'a');
    expect(pick(cache, makePod('p', { cpu: '100m' }))).toMatchObject({ ok: true, node: 'b' });
  });

  it('spreads pods of one owner over three zones, then over nodes', () => {
    const cache = cacheOf(
      makeNode('a1', { zone: 'z-a' }),
      makeNode('a2', { zone: 'z-a' }),
      makeNode('b1', { zone: 'z-b' }),
      makeNode('c1', { zone: 'z-c' }),
    );
    const owner = ownerRef('ReplicaSet', 'web');
    const state = { next: 0 };
    const zones: string[] = [];
    const placed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const pod = makePod(`web-${i}`, { owner });
      const r = selectNode(pod, cache, state);
      if (!r.ok) throw new Error(r.message);
      cache.addPod(`default/web-${i}`, pod, r.node);
      placed.push(r.node);
      zones.push(cache.getNode(r.node)?.node.metadata.labels?.['topology.kubernetes.io/zone'] ?? '');
    }
    expect(new Set(zones).size).toBe(3);
    const fourth = makePod('web-3', { owner });
    const r = selectNode(fourth, cache, state);
    expect(r.ok && !placed.includes(r.node)).toBe(true);
  });

  it('reports the empty cluster plainly', () => {
    const r = pick(new SchedulerCache(), makePod('p'));
    expect(!r.ok && r.message).toBe('0/0 nodes are available: no nodes available to schedule pods.');
  });

  it('searches only part of a large cluster but rotates so all nodes get used', () => {
    const cache = new SchedulerCache();
    for (let i = 0; i < 1000; i++) cache.setNode(makeNode(`n${String(i).padStart(4, '0')}`, { pods: 5 }));
    const state = { next: 0 };
    const used = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const pod = makePod(`p${i}`, { cpu: '100m' });
      const r = selectNode(pod, cache, state);
      if (!r.ok) throw new Error(r.message);
      cache.addPod(`default/p${i}`, pod, r.node);
      used.add(r.node);
    }
    expect(used.size).toBe(1000);
  });
});
