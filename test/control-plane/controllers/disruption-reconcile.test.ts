import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/control-plane/controllers/actions.js';
import {
  type ControllerScale,
  deletionTimeoutMs,
  reconcileDisruptionBudget,
} from '../../../src/control-plane/controllers/disruption-reconcile.js';
import type { OwnerReference, Pod, PodDisruptionBudget } from '../../../src/kube/index.js';

const now = Date.parse('2026-12-02T12:00:00Z');
const rsRef: OwnerReference = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'web-5d9',
  uid: 'uid-rs',
  controller: true,
};

function budget(
  spec: PodDisruptionBudget['spec'],
  status?: PodDisruptionBudget['status'],
): PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-pdb', generation: 2 },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    ...(status ? { status } : {}),
  };
}

function pod(name: string, ready: boolean, extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' }, ownerReferences: [rsRef], ...extra },
    spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: 'node-0' },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

/** The Deployment over the ReplicaSet has 4 replicas (its pods may not all exist yet). */
const deploymentScale = (ref: OwnerReference): ControllerScale | undefined =>
  ref.uid === 'uid-rs' ? { uid: 'uid-deploy', scale: 4 } : undefined;

function statusOf(actions: Action[]): NonNullable<PodDisruptionBudget['status']> | undefined {
  const a = actions.find((x) => x.verb === 'updateStatus');
  return a && 'object' in a ? (a.object as PodDisruptionBudget).status : undefined;
}

const three = [pod('a', true), pod('b', true), pod('c', true)];

describe('reconcileDisruptionBudget', () => {
  it('minAvailable as an integer: expected pods are the selected ones, allowed = healthy - desired', () => {
    const { actions } = reconcileDisruptionBudget(budget({ minAvailable: 2 }), three, deploymentScale, now);
    const s = statusOf(actions);
    expect(s).toMatchObject({
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 3,
      disruptionsAllowed: 1,
      observedGeneration: 2,
    });
    expect(s?.conditions).toEqual([
      expect.objectContaining({
        type: 'DisruptionAllowed',
        status: 'True',
        reason: 'SufficientPods',
        message: '',
        observedGeneration: 2,
      }),
    ]);
  });

  it('a percentage resolves against the owning Deployment scale, rounding up', () => {
    const { actions } = reconcileDisruptionBudget(
      budget({ minAvailable: '50%' }),
      three,
      deploymentScale,
      now,
    );
    expect(statusOf(actions)).toMatchObject({ expectedPods: 4, desiredHealthy: 2, disruptionsAllowed: 1 });
  });

  it('maxUnavailable: desired = scale - maxUnavailable, never below 0', () => {
    const one = reconcileDisruptionBudget(budget({ maxUnavailable: 1 }), three, deploymentScale, now);
    expect(statusOf(one.actions)).toMatchObject({
      expectedPods: 4,
      desiredHealthy: 3,
      disruptionsAllowed: 0,
    });
    expect(statusOf(one.actions)?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'InsufficientPods',
    });
    const all = reconcileDisruptionBudget(budget({ maxUnavailable: '100%' }), three, deploymentScale, now);
    expect(statusOf(all.actions)).toMatchObject({ desiredHealthy: 0, disruptionsAllowed: 3 });
  });

  it('unready and terminating pods are not healthy', () => {
    const pods = [
      pod('a', true),
      pod('b', false),
      pod('c', true, { deletionTimestamp: '2026-12-02T11:59:00Z' }),
    ];
    const { actions } = reconcileDisruptionBudget(budget({ minAvailable: 1 }), pods, deploymentScale, now);
    expect(statusOf(actions)).toMatchObject({ currentHealthy: 1, disruptionsAllowed: 0 });
  });

  it('a pod in disruptedPods does not count until the timeout, then an event says it was not deleted', () => {
    const at = new Date(now - 1000).toISOString();
    const pdb = budget(
      { minAvailable: 1 },
      {
        disruptedPods: { a: at },
        disruptionsAllowed: 1,
        currentHealthy: 2,
        desiredHealthy: 1,
        expectedPods: 3,
      },
    );
    const fresh = reconcileDisruptionBudget(pdb, three, deploymentScale, now);
    expect(statusOf(fresh.actions)).toMatchObject({
      currentHealthy: 2,
      disruptedPods: { a: at },
      disruptionsAllowed: 1,
    });
    expect(fresh.requeueAfterMs).toBe(deletionTimeoutMs - 1000 + 100);
    const later = reconcileDisruptionBudget(pdb, three, deploymentScale, now + deletionTimeoutMs);
    expect(statusOf(later.actions)?.disruptedPods).toBeUndefined();
    expect(statusOf(later.actions)).toMatchObject({ currentHealthy: 3, disruptionsAllowed: 2 });
    expect(later.actions).toContainEqual(expect.objectContaining({ verb: 'event', reason: 'NotDeleted' }));
  });

  it('a pod with an unknown controller fails safe: no disruption allowed, SyncFailed and a Warning', () => {
    const orphanRef = { ...rsRef, uid: 'uid-other', name: 'gone' };
    const pods = [pod('a', true, { ownerReferences: [orphanRef] })];
    const { actions } = reconcileDisruptionBudget(
      budget(
        { minAvailable: '50%' },
        { disruptionsAllowed: 1, currentHealthy: 1, desiredHealthy: 0, expectedPods: 1 },
      ),
      pods,
      deploymentScale,
      now,
    );
    expect(statusOf(actions)).toMatchObject({ disruptionsAllowed: 0 });
    expect(statusOf(actions)?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'SyncFailed',
      message: 'found no controllers for pod "a"',
    });
    expect(actions).toContainEqual(
      expect.objectContaining({ verb: 'event', type: 'Warning', reason: 'CalculateExpectedPodCountFailed' }),
    );
  });

  it('no write when the status is already current; NoPods when nothing is selected', () => {
    const first = statusOf(
      reconcileDisruptionBudget(budget({ minAvailable: 2 }), three, deploymentScale, now).actions,
    );
    const again = reconcileDisruptionBudget(
      budget({ minAvailable: 2 }, first),
      three,
      deploymentScale,
      now + 5000,
    );
    expect(again.actions).toEqual([]);
    const none = reconcileDisruptionBudget(budget({ minAvailable: 2 }), [], deploymentScale, now);
    expect(none.actions).toContainEqual(expect.objectContaining({ verb: 'event', reason: 'NoPods' }));
    expect(statusOf(none.actions)).toMatchObject({ expectedPods: 0, disruptionsAllowed: 0 });
  });

  it('a nil selector selects nothing, an empty one every pod of the namespace (policy/v1)', () => {
    const nil = budget({ minAvailable: 1 });
    nil.spec.selector = undefined;
    expect(statusOf(reconcileDisruptionBudget(nil, three, deploymentScale, now).actions)).toMatchObject({
      expectedPods: 0,
    });
    const all = budget({ minAvailable: 1, selector: {} });
    expect(statusOf(reconcileDisruptionBudget(all, three, deploymentScale, now).actions)).toMatchObject({
      expectedPods: 3,
    });
  });
});
