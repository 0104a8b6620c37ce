import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/control-plane/controllers/actions.js';
import { reconcileReplicaSet } from '../../../src/control-plane/controllers/replicaset-reconcile.js';
import type { Pod, ReplicaSet } from '../../../src/kube/index.js';
import { makePod, ownerRef } from '../../support/k8s-objects.js';

const rs: ReplicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'default', uid: 'uid-rs-web', generation: 2 },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'a' }] } },
  },
};

function owned(name: string, extra: Partial<Pod> = {}): Pod {
  const p = makePod(name, { owner: ownerRef('ReplicaSet', 'web', 'uid-rs-web') });
  p.metadata.labels = { app: 'web' };
  return { ...p, ...extra };
}

const verbs = (actions: Action[], verb: string, resource = 'pods') =>
  actions.filter((a) => a.verb === verb && 'resource' in a && a.resource === resource);

function objectsOf<T>(actions: Action[], verb: string, resource = 'pods'): T[] {
  return verbs(actions, verb, resource).map((a) => ('object' in a ? a.object : undefined) as T);
}

describe('reconcileReplicaSet', () => {
  it('creates missing pods from the template with a controller ownerReference', () => {
    const actions = reconcileReplicaSet(rs, [owned('web-1')], 0);
    const creates = verbs(actions, 'create');
    expect(creates).toHaveLength(2);
    const pod = objectsOf<Pod>(actions, 'create')[0]!;
    expect(pod.metadata.generateName).toBe('web-');
    expect(pod.metadata.labels).toEqual({ app: 'web' });
    expect(pod.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web',
        uid: 'uid-rs-web',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(actions.some((a) => a.verb === 'event' && a.reason === 'SuccessfulCreate')).toBe(true);
  });

  it('deletes surplus pods, unscheduled and not-ready ones first', () => {
    const ready = (n: string, node: string) =>
      owned(n, {
        spec: { nodeName: node, containers: [] },
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      });
    const pods = [
      ready('r1', 'n1'),
      ready('r2', 'n2'),
      ready('r3', 'n3'),
      owned('pending'),
      ready('r4', 'n1'),
    ];
    pods[4]!.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] };
    const deletes = verbs(reconcileReplicaSet(rs, pods, 0), 'delete');
    expect(deletes.map((a) => (a as { name: string }).name)).toEqual(['pending', 'r4']);
  });

  it('adopts matching orphans and releases owned pods that no longer match', () => {
    const orphan = makePod('orphan');
    orphan.metadata.labels = { app: 'web' };
    const mislabeled = owned('moved');
    mislabeled.metadata.labels = { app: 'other' };
    const actions = reconcileReplicaSet(rs, [orphan, mislabeled, owned('w1'), owned('w2')], 0);
    const updates = objectsOf<Pod>(actions, 'update');
    const adopted = updates.find((u) => u.metadata.name === 'orphan');
    expect(adopted?.metadata.ownerReferences?.[0]?.uid).toBe('uid-rs-web');
    const released = updates.find((u) => u.metadata.name === 'moved');
    expect(released?.metadata.ownerReferences).toEqual([]);
    expect(verbs(actions, 'create')).toHaveLength(0);
  });

  it('does not count finished or terminating pods, and ignores pods of other owners', () => {
    const done = owned('done', { status: { phase: 'Succeeded' } });
    const dying = owned('dying');
    dying.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const foreign = makePod('foreign', { owner: ownerRef('ReplicaSet', 'other') });
    foreign.metadata.labels = { app: 'web' };
    expect(verbs(reconcileReplicaSet(rs, [done, dying, foreign], 0), 'create')).toHaveLength(3);
  });

  it('reports status with ready and available (minReadySeconds) replicas', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const pods = [1, 2, 3].map((i) =>
      owned(`w${i}`, {
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'True', lastTransitionTime: new Date(t0 + i * 10_000).toISOString() },
          ],
        },
      }),
    );
    const slow = { ...rs, spec: { ...rs.spec, minReadySeconds: 15 } };
    const [status] = objectsOf<ReplicaSet>(
      reconcileReplicaSet(slow, pods, t0 + 26_000),
      'updateStatus',
      'replicasets',
    );
    expect(status?.status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 1,
      observedGeneration: 2,
    });
  });

  it('leaves a terminating ReplicaSet to the garbage collector', () => {
    expect(
      reconcileReplicaSet({ ...rs, metadata: { ...rs.metadata, deletionTimestamp: 'x' } }, [], 0),
    ).toEqual([]);
  });
});
