import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/control-plane/controllers/actions.js';
import { revisionData } from '../../../src/control-plane/controllers/controller-revisions.js';
import { reconcileStatefulSet } from '../../../src/control-plane/controllers/statefulset-reconcile.js';
import type {
  ControllerRevision,
  PersistentVolumeClaim,
  Pod,
  PodTemplateSpec,
  StatefulSet,
} from '../../../src/kube/index.js';
import { ownerRef } from '../../support/k8s-objects.js';

const uid = 'uid-StatefulSet-web';
const template = (image: string): PodTemplateSpec => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image }] },
});

function makeSet(over: Partial<StatefulSet['spec']> = {}, image = 'a'): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid, generation: 1 },
    spec: {
      replicas: 3,
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: template(image),
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      revisionHistoryLimit: 10,
      ...over,
    },
  };
}

/** The revisions a first reconcile creates, with uids as the server would give them. */
function revisionsOf(set: StatefulSet, existing: ControllerRevision[] = []): ControllerRevision[] {
  const created = objects<ControllerRevision>(
    reconcileStatefulSet(set, [], [], existing, 0),
    'create',
    'controllerrevisions',
  );
  return [
    ...existing,
    ...created.map((r) => ({ ...r, metadata: { ...r.metadata, uid: `uid-${r.metadata.name}` } })),
  ];
}

function pod(
  set: StatefulSet,
  ord: number,
  revision: string,
  state: 'ready' | 'pending' | 'failed' = 'ready',
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${ord}`,
      namespace: 'default',
      uid: `uid-web-${ord}`,
      labels: { app: 'web', 'controller-revision-hash': revision },
      ownerReferences: [ownerRef('StatefulSet', 'web', uid)],
    },
    spec: { containers: [{ name: 'c', image: set.spec.template.spec.containers[0]!.image }] },
    status:
      state === 'ready'
        ? { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }
        : { phase: state === 'failed' ? 'Failed' : 'Pending' },
  };
}

function objects<T>(actions: Action[], verb: string, resource = 'pods'): T[] {
  return actions
    .filter((a) => a.verb === verb && 'resource' in a && a.resource === resource)
    .map((a) => ('object' in a ? a.object : undefined) as T);
}
const deletedNames = (actions: Action[], resource = 'pods') =>
  actions
    .filter((a) => a.verb === 'delete' && a.resource === resource)
    .map((a) => ('name' in a ? a.name : ''));
const statusOf = (actions: Action[]) =>
  (objects<StatefulSet>(actions, 'updateStatus', 'statefulsets')[0] as StatefulSet | undefined)?.status;

describe('reconcileStatefulSet', () => {
  it('creates web-0 first with its identity, claims and revision', () => {
    const set = makeSet({
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    });
    const actions = reconcileStatefulSet(set, [], [], [], 0);
    const [rev] = objects<ControllerRevision>(actions, 'create', 'controllerrevisions');
    expect(rev?.revision).toBe(1);
    expect(rev?.data).toEqual(revisionData(set.spec.template));
    expect(rev?.metadata.labels?.['controller-revision-hash']).toBe(rev?.metadata.name);
    const claims = objects<PersistentVolumeClaim>(actions, 'create', 'persistentvolumeclaims');
    expect(claims.map((c) => c.metadata.name)).toEqual(['data-web-0']);
    expect(claims[0]?.metadata.labels).toEqual({ app: 'web' });
    const pods = objects<Pod>(actions, 'create');
    expect(pods.map((p) => p.metadata.name)).toEqual(['web-0']);
    const p = pods[0]!;
    expect(p.spec.hostname).toBe('web-0');
    expect(p.spec.subdomain).toBe('web');
    expect(p.metadata.labels).toMatchObject({
      'statefulset.kubernetes.io/pod-name': 'web-0',
      'apps.kubernetes.io/pod-index': '0',
      'controller-revision-hash': rev?.metadata.name,
    });
    expect(p.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }]);
    // The claim is written before the pod that mounts it.
    const order = actions.filter((a) => a.verb === 'create').map((a) => ('resource' in a ? a.resource : ''));
    expect(order.indexOf('persistentvolumeclaims')).toBeLessThan(order.indexOf('pods'));
  });

  const cases: Array<{
    name: string;
    policy: 'OrderedReady' | 'Parallel';
    have: Array<'ready' | 'pending'>;
    creates: string[];
  }> = [
    { name: 'ordered waits for a pending web-0', policy: 'OrderedReady', have: ['pending'], creates: [] },
    {
      name: 'ordered creates the next once web-0 is ready',
      policy: 'OrderedReady',
      have: ['ready'],
      creates: ['web-1'],
    },
    { name: 'ordered creates one at a time', policy: 'OrderedReady', have: [], creates: ['web-0'] },
    {
      name: 'parallel creates all missing at once',
      policy: 'Parallel',
      have: ['pending'],
      creates: ['web-1', 'web-2'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const set = makeSet({ podManagementPolicy: c.policy });
      const revs = revisionsOf(set);
      const rev = revs[0]!.metadata.name ?? '';
      const pods = c.have.map((s, i) => pod(set, i, rev, s));
      const actions = reconcileStatefulSet(set, pods, [], revs, 0);
      expect(objects<Pod>(actions, 'create').map((p) => p.metadata.name)).toEqual(c.creates);
    });
  }

  it('scales down from the highest ordinal, one at a time when ordered', () => {
    const set = makeSet({ replicas: 1 });
    const revs = revisionsOf(set);
    const rev = revs[0]!.metadata.name ?? '';
    const pods = [0, 1, 2].map((i) => pod(set, i, rev));
    expect(deletedNames(reconcileStatefulSet(set, pods, [], revs, 0))).toEqual(['web-2']);
    const parallel = makeSet({ replicas: 1, podManagementPolicy: 'Parallel' });
    expect(deletedNames(reconcileStatefulSet(parallel, pods, [], revs, 0))).toEqual(['web-2', 'web-1']);
  });

  it('replaces a failed pod under the same name', () => {
    const set = makeSet({ replicas: 2 });
    const revs = revisionsOf(set);
    const rev = revs[0]!.metadata.name ?? '';
    const actions = reconcileStatefulSet(set, [pod(set, 0, rev, 'failed'), pod(set, 1, rev)], [], revs, 0);
    expect(deletedNames(actions)).toEqual(['web-0']);
    expect(objects<Pod>(actions, 'create')).toEqual([]);
  });

  it('rolls from the highest ordinal down to the partition, one unavailable at a time', () => {
    const v1 = makeSet({}, 'a');
    const revs1 = revisionsOf(v1);
    const r1 = revs1[0]!.metadata.name ?? '';
    const v2 = makeSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, 'b');
    v2.status = { currentRevision: r1 };
    const revs = revisionsOf(v2, revs1);
    const r2 = revs[1]!.metadata.name ?? '';
    expect(revs[1]!.revision).toBe(2);
    const pods = [0, 1, 2].map((i) => pod(v1, i, r1));
    let actions = reconcileStatefulSet(v2, pods, [], revs, 0);
    expect(deletedNames(actions)).toEqual(['web-2']);
    // web-2 comes back at the update revision; web-1 is next only once it is ready.
    pods[2] = pod(v2, 2, r2, 'pending');
    actions = reconcileStatefulSet(v2, pods, [], revs, 0);
    expect(deletedNames(actions)).toEqual([]);
    pods[2] = pod(v2, 2, r2);
    actions = reconcileStatefulSet(v2, pods, [], revs, 0);
    expect(deletedNames(actions)).toEqual(['web-1']);
    pods[1] = pod(v2, 1, r2);
    actions = reconcileStatefulSet(v2, pods, [], revs, 0);
    expect(deletedNames(actions)).toEqual([]); // web-0 is below the partition
    expect(statusOf(actions)).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 1,
      updatedReplicas: 2,
      currentRevision: r1,
      updateRevision: r2,
    });
    // A missing pod below the partition is recreated from the current revision.
    actions = reconcileStatefulSet(v2, [pods[1]!, pods[2]!], [], revs, 0);
    const [again] = objects<Pod>(actions, 'create');
    expect(again?.metadata.labels?.['controller-revision-hash']).toBe(r1);
    expect(again?.spec.containers[0]?.image).toBe('a');
  });

  it('honours maxUnavailable and leaves OnDelete pods alone', () => {
    const v1 = makeSet({}, 'a');
    const revs1 = revisionsOf(v1);
    const r1 = revs1[0]!.metadata.name ?? '';
    const v2 = makeSet(
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } } },
      'b',
    );
    const revs = revisionsOf(v2, revs1);
    const pods = [0, 1, 2].map((i) => pod(v1, i, r1));
    expect(deletedNames(reconcileStatefulSet(v2, pods, [], revs, 0))).toEqual(['web-2', 'web-1']);
    const onDelete = makeSet({ updateStrategy: { type: 'OnDelete' } }, 'b');
    expect(deletedNames(reconcileStatefulSet(onDelete, pods, [], revs, 0))).toEqual([]);
  });

  it('marks the update revision current once every pod runs it', () => {
    const set = makeSet({ replicas: 2 });
    const revs = revisionsOf(set);
    const rev = revs[0]!.metadata.name ?? '';
    const status = statusOf(reconcileStatefulSet(set, [pod(set, 0, rev), pod(set, 1, rev)], [], revs, 0));
    expect(status).toMatchObject({
      currentRevision: rev,
      updateRevision: rev,
      currentReplicas: 2,
      updatedReplicas: 2,
      observedGeneration: 1,
    });
  });

  it('renumbers the old revision on a rollback and prunes beyond the history limit', () => {
    const a = makeSet({}, 'a');
    const revA = revisionsOf(a);
    const revAB = revisionsOf(makeSet({}, 'b'), revA);
    const actions = reconcileStatefulSet(a, [], [], revAB, 0);
    const [renumbered] = objects<ControllerRevision>(actions, 'update', 'controllerrevisions');
    expect(renumbered?.metadata.name).toBe(revA[0]!.metadata.name);
    expect(renumbered?.revision).toBe(3);
    expect(objects(actions, 'create', 'controllerrevisions')).toEqual([]);
    const limited = makeSet({ revisionHistoryLimit: 0 }, 'c');
    limited.status = { currentRevision: revAB[1]!.metadata.name ?? '' };
    const pruned = reconcileStatefulSet(limited, [], [], revAB, 0);
    // a is neither current nor update nor in use: pruned; b is current: kept.
    expect(deletedNames(pruned, 'controllerrevisions')).toEqual([revA[0]!.metadata.name]);
  });

  it('deletes claims of removed ordinals only with whenScaled: Delete', () => {
    const claim = (n: string): PersistentVolumeClaim => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: n, namespace: 'default', uid: `uid-${n}` },
      spec: {},
    });
    const vct = [{ metadata: { name: 'data' }, spec: {} }];
    const claims = ['data-web-0', 'data-web-1', 'data-web-2', 'data-webx-3'].map(claim);
    const keep = makeSet({ replicas: 1, volumeClaimTemplates: vct });
    const revs = revisionsOf(keep);
    const rev = revs[0]!.metadata.name ?? '';
    expect(
      deletedNames(
        reconcileStatefulSet(keep, [pod(keep, 0, rev)], claims, revs, 0),
        'persistentvolumeclaims',
      ),
    ).toEqual([]);
    const drop = makeSet({
      replicas: 1,
      volumeClaimTemplates: vct,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Delete' },
    });
    // web-2's pod still runs: only data-web-1 goes now.
    const actions = reconcileStatefulSet(drop, [pod(drop, 0, rev), pod(drop, 2, rev)], claims, revs, 0);
    expect(deletedNames(actions, 'persistentvolumeclaims')).toEqual(['data-web-1']);
    const owned = makeSet({
      volumeClaimTemplates: vct,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
    });
    const [c] = objects<PersistentVolumeClaim>(
      reconcileStatefulSet(owned, [], [], revs, 0),
      'create',
      'persistentvolumeclaims',
    );
    expect(c?.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name: 'web',
        uid,
        controller: false,
        blockOwnerDeletion: true,
      },
    ]);
  });
});
