import { describe, expect, it } from 'vitest';
import { reconcileDeployment } from '../../../src/control-plane/controllers/deployment-reconcile.js';
import { revisionAnnotation } from '../../../src/control-plane/controllers/deployment-revisions.js';
import { reconcileReplicaSet } from '../../../src/control-plane/controllers/replicaset-reconcile.js';
import { resolveSurgeUnavailable } from '../../../src/control-plane/controllers/rolling-update.js';
import { getCondition } from '../../../src/control-plane/machinery/objects.js';
import type { Deployment, Pod, ReplicaSet } from '../../../src/kube/index.js';
import { makeDeployment } from '../../support/k8s-objects.js';
import { World } from './world.js';

/** Runs both controllers until nothing changes, starting pods after every round if `start`. */
function settle(w: World, opts: { start?: boolean; onRound?: () => void } = {}): number {
  for (let round = 0; round < 100; round++) {
    const before = JSON.stringify([...w.objects.entries()].map(([k, m]) => [k, [...m.entries()]]));
    for (const d of w.list<Deployment>('deployments')) {
      w.apply(reconcileDeployment(d, w.list('replicasets'), w.list('pods'), w.now));
    }
    for (const rs of w.list<ReplicaSet>('replicasets'))
      w.apply(reconcileReplicaSet(rs, w.list('pods'), w.now));
    opts.onRound?.();
    if (opts.start !== false) w.startPods();
    const after = JSON.stringify([...w.objects.entries()].map(([k, m]) => [k, [...m.entries()]]));
    if (before === after) return round;
  }
  throw new Error('did not settle in 100 rounds');
}

function deployment(w: World): Deployment {
  return w.list<Deployment>('deployments')[0]!;
}

function images(w: World): string[] {
  return w
    .list<Pod>('pods')
    .map((p) => p.spec.containers[0]?.image ?? '')
    .sort();
}

function setImage(w: World, image: string): void {
  const d = structuredClone(deployment(w));
  d.spec.template.spec.containers[0]!.image = image;
  d.metadata.generation = (d.metadata.generation ?? 1) + 1;
  w.put('deployments', d);
}

describe('resolveSurgeUnavailable', () => {
  it.each([
    [10, {}, 3, 2],
    [4, { maxSurge: 1, maxUnavailable: 0 }, 1, 0],
    [3, { maxSurge: 0, maxUnavailable: 0 }, 0, 1],
    [3, { maxSurge: '50%', maxUnavailable: '50%' }, 2, 1],
  ])('replicas %i with %j gives surge %i unavailable %i', (replicas, strategy, surge, unavailable) => {
    expect(resolveSurgeUnavailable(replicas, strategy)).toEqual({
      maxSurge: surge,
      maxUnavailable: unavailable,
    });
  });

  it('names a malformed value', () => {
    expect(() => resolveSurgeUnavailable(3, { maxSurge: 'lots' })).toThrow('invalid int-or-percent "lots"');
  });
});

describe('reconcileDeployment', () => {
  it('creates a ReplicaSet with pod-template-hash and revision 1, then reports Available and complete', () => {
    const w = new World();
    w.put('deployments', makeDeployment('web', 3));
    settle(w);
    const [rs] = w.list<ReplicaSet>('replicasets');
    const hash = rs?.metadata.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs?.metadata.name).toBe(`web-${hash}`);
    expect(rs?.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs?.metadata.annotations?.[revisionAnnotation]).toBe('1');
    const d = deployment(w);
    expect(d.metadata.annotations?.[revisionAnnotation]).toBe('1');
    expect(d.status).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });
    expect(getCondition(d.status?.conditions, 'Available')?.status).toBe('True');
    expect(getCondition(d.status?.conditions, 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
  });

  it('rolls from image a to b without dropping below replicas - maxUnavailable or exceeding replicas + maxSurge', () => {
    const w = new World();
    const d0 = makeDeployment('web', 4);
    d0.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } };
    w.put('deployments', d0);
    settle(w);
    setImage(w, 'busybox:b');
    let minReady = Number.POSITIVE_INFINITY;
    let maxPods = 0;
    settle(w, {
      onRound: () => {
        const pods = w.list<Pod>('pods');
        minReady = Math.min(minReady, pods.filter((p) => p.status?.phase === 'Running').length);
        maxPods = Math.max(maxPods, pods.length);
      },
    });
    expect(images(w)).toEqual(['busybox:b', 'busybox:b', 'busybox:b', 'busybox:b']);
    expect(minReady).toBeGreaterThanOrEqual(3);
    expect(maxPods).toBeLessThanOrEqual(5);
    expect(deployment(w).metadata.annotations?.[revisionAnnotation]).toBe('2');
    expect(w.events.some((e) => e.message.startsWith('Scaled down replica set web-'))).toBe(true);
  });

  it('rolls back to an earlier template by reusing its ReplicaSet with the next revision', () => {
    const w = new World();
    w.put('deployments', makeDeployment('web', 2));
    settle(w);
    const first = w.list<ReplicaSet>('replicasets')[0]!.metadata.name;
    setImage(w, 'busybox:b');
    settle(w);
    setImage(w, 'busybox:a');
    settle(w);
    expect(images(w)).toEqual(['busybox:a', 'busybox:a']);
    const sets = w.list<ReplicaSet>('replicasets');
    expect(sets).toHaveLength(2);
    const back = sets.find((s) => s.metadata.name === first)!;
    expect(back.metadata.annotations?.[revisionAnnotation]).toBe('3');
    expect(back.spec.replicas).toBe(2);
    expect(deployment(w).metadata.annotations?.[revisionAnnotation]).toBe('3');
  });

  it('Recreate scales old pods to zero before starting new ones', () => {
    const w = new World();
    const d0 = makeDeployment('web', 3);
    d0.spec.strategy = { type: 'Recreate' };
    w.put('deployments', d0);
    settle(w);
    setImage(w, 'busybox:b');
    let mixed = false;
    settle(w, {
      onRound: () => {
        mixed ||= new Set(images(w)).size > 1;
      },
    });
    expect(mixed).toBe(false);
    expect(images(w)).toEqual(['busybox:b', 'busybox:b', 'busybox:b']);
  });

  it('keeps at most revisionHistoryLimit old ReplicaSets', () => {
    const w = new World();
    const d0 = makeDeployment('web', 1);
    d0.spec.revisionHistoryLimit = 2;
    w.put('deployments', d0);
    settle(w);
    for (const img of ['b', 'c', 'd', 'e']) {
      setImage(w, `busybox:${img}`);
      settle(w);
    }
    const revisions = w
      .list<ReplicaSet>('replicasets')
      .map((rs) => Number(rs.metadata.annotations?.[revisionAnnotation]))
      .sort();
    expect(revisions).toEqual([3, 4, 5]);
  });

  it('does not roll out while paused, and resumes afterwards', () => {
    const w = new World();
    w.put('deployments', makeDeployment('web', 2));
    settle(w);
    const paused = structuredClone(deployment(w));
    paused.spec.paused = true;
    w.put('deployments', paused);
    setImage(w, 'busybox:b');
    settle(w);
    expect(images(w)).toEqual(['busybox:a', 'busybox:a']);
    expect(getCondition(deployment(w).status?.conditions, 'Progressing')?.reason).toBe('DeploymentPaused');
    const resumed = structuredClone(deployment(w));
    resumed.spec.paused = false;
    w.put('deployments', resumed);
    settle(w);
    expect(images(w)).toEqual(['busybox:b', 'busybox:b']);
  });

  it('marks Progressing False with ProgressDeadlineExceeded when pods never become ready', () => {
    const w = new World();
    const d0 = makeDeployment('web', 2);
    d0.spec.progressDeadlineSeconds = 30;
    w.put('deployments', d0);
    settle(w, { start: false });
    expect(getCondition(deployment(w).status?.conditions, 'Progressing')?.status).toBe('True');
    w.now += 31_000;
    settle(w, { start: false });
    const c = getCondition(deployment(w).status?.conditions, 'Progressing');
    expect(c).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(getCondition(deployment(w).status?.conditions, 'Available')?.status).toBe('False');
  });

  it('scales the current ReplicaSet when replicas change', () => {
    const w = new World();
    w.put('deployments', makeDeployment('web', 2));
    settle(w);
    const d = structuredClone(deployment(w));
    d.spec.replicas = 5;
    w.put('deployments', d);
    settle(w);
    expect(w.list('pods')).toHaveLength(5);
    expect(w.list('replicasets')).toHaveLength(1);
  });
});
