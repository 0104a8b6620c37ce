import { describe, expect, it } from 'vitest';
import {
  reconcileDaemonSet,
  revisionHashLabel,
} from '../../../src/control-plane/controllers/daemonset-reconcile.js';
import { reconcileJob } from '../../../src/control-plane/controllers/job-reconcile.js';
import { getCondition } from '../../../src/control-plane/machinery/objects.js';
import type { DaemonSet, Job, Pod } from '../../../src/kube/index.js';
import { makeNode } from '../../support/k8s-objects.js';
import { World } from './world.js';

function daemonSet(extra: Partial<DaemonSet['spec']> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'kube-system', uid: 'uid-ds', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'a' }] } },
      ...extra,
    },
  };
}

function runDs(w: World, rounds = 10): void {
  for (let i = 0; i < rounds; i++) {
    for (const ds of w.list<DaemonSet>('daemonsets'))
      w.apply(reconcileDaemonSet(ds, w.list('nodes'), w.list('pods'), w.now));
    w.startPods();
  }
}

const podNodes = (w: World) =>
  w
    .list<Pod>('pods')
    .map((p) => p.spec.nodeName)
    .sort();

describe('reconcileDaemonSet', () => {
  it('runs one pod per node, follows nodes joining and leaving, and respects selector and taints', () => {
    const w = new World();
    w.put('nodes', makeNode('n1'));
    w.put('nodes', makeNode('n2', { labels: { role: 'edge' } }));
    w.put('nodes', makeNode('n3', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] }));
    w.put('nodes', makeNode('n4', { ready: false }));
    w.put('daemonsets', daemonSet());
    runDs(w);
    expect(podNodes(w)).toEqual(['n1', 'n2', 'n4']);
    const pod = w.list<Pod>('pods')[0]!;
    expect(pod.spec.tolerations?.some((t) => t.key === 'node.kubernetes.io/unreachable')).toBe(true);
    w.put('nodes', makeNode('n5'));
    w.objects.get('nodes')?.delete('/n1');
    runDs(w);
    expect(podNodes(w)).toEqual(['n2', 'n4', 'n5']);
    const status = w.list<DaemonSet>('daemonsets')[0]!.status;
    expect(status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3 });
  });

  it('limits itself to nodes matching its nodeSelector', () => {
    const w = new World();
    w.put('nodes', makeNode('n1'));
    w.put('nodes', makeNode('n2', { labels: { role: 'edge' } }));
    const ds = daemonSet();
    ds.spec.template.spec.nodeSelector = { role: 'edge' };
    w.put('daemonsets', ds);
    runDs(w);
    expect(podNodes(w)).toEqual(['n2']);
  });

  it('rolls a new template out one node at a time by default', () => {
    const w = new World();
    for (const n of ['n1', 'n2', 'n3']) w.put('nodes', makeNode(n));
    w.put('daemonsets', daemonSet());
    runDs(w);
    const ds = structuredClone(w.list<DaemonSet>('daemonsets')[0]!);
    ds.spec.template.spec.containers[0]!.image = 'b';
    w.put('daemonsets', ds);
    const oldHash = w.list<Pod>('pods')[0]!.metadata.labels?.[revisionHashLabel];
    w.apply(reconcileDaemonSet(ds, w.list('nodes'), w.list('pods'), w.now));
    expect(w.list('pods')).toHaveLength(2);
    runDs(w);
    const pods = w.list<Pod>('pods');
    expect(pods.map((p) => p.spec.containers[0]?.image)).toEqual(['b', 'b', 'b']);
    expect(pods.every((p) => p.metadata.labels?.[revisionHashLabel] !== oldHash)).toBe(true);
  });
});

function job(extra: Partial<Job['spec']> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'batch', namespace: 'default', uid: 'uid-job' },
    spec: {
      completions: 5,
      parallelism: 2,
      backoffLimit: 3,
      template: {
        metadata: { labels: { app: 'batch' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' },
      },
      ...extra,
    },
  };
}

/** Runs a job where the pods listed in `fail` (by creation order) fail and the rest succeed. */
function runJob(w: World, fail: Set<number>, rounds = 30): { maxActive: number } {
  let created = 0;
  let maxActive = 0;
  const outcome = new Map<string, boolean>();
  for (let i = 0; i < rounds; i++) {
    for (const j of w.list<Job>('jobs')) w.apply(reconcileJob(j, w.list('pods'), w.now));
    const running = w.list<Pod>('pods').filter((p) => !p.status?.phase || p.status.phase === 'Running');
    maxActive = Math.max(maxActive, running.length);
    for (const p of running) {
      const name = p.metadata.name ?? '';
      if (!outcome.has(name)) outcome.set(name, fail.has(created++));
      p.status = { phase: outcome.get(name) ? 'Failed' : 'Succeeded' };
    }
  }
  return { maxActive };
}

describe('reconcileJob', () => {
  it('completes 5 completions with parallelism 2, retrying failures within backoffLimit', () => {
    const w = new World();
    w.put('jobs', job());
    const { maxActive } = runJob(w, new Set([1, 3]));
    const j = w.list<Job>('jobs')[0]!;
    expect(maxActive).toBe(2);
    expect(j.status).toMatchObject({ succeeded: 5, failed: 2, active: 0 });
    expect(getCondition(j.status?.conditions, 'Complete')?.status).toBe('True');
    expect(j.status?.completionTime).toBeDefined();
    const pod = w.list<Pod>('pods')[0]!;
    expect(pod.metadata.labels).toMatchObject({ 'job-name': 'batch', 'controller-uid': 'uid-job' });
  });

  it('fails with BackoffLimitExceeded once failures exceed backoffLimit', () => {
    const w = new World();
    w.put('jobs', job());
    runJob(w, new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const j = w.list<Job>('jobs')[0]!;
    expect(getCondition(j.status?.conditions, 'Failed')).toMatchObject({
      status: 'True',
      reason: 'BackoffLimitExceeded',
    });
    expect(j.status?.failed).toBe(4);
    expect(w.events.some((e) => e.reason === 'BackoffLimitExceeded' && e.type === 'Warning')).toBe(true);
  });

  it('counts container restarts as failures under restartPolicy OnFailure', () => {
    const j = job({ backoffLimit: 2 });
    j.spec.template.spec.restartPolicy = 'OnFailure';
    const pod: Pod = {
      metadata: {
        name: 'p',
        namespace: 'default',
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'Job', name: 'batch', uid: 'uid-job', controller: true },
        ],
      },
      spec: { containers: [] },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'c',
            restartCount: 3,
            ready: false,
            image: 'busybox',
            imageID: '',
            state: {},
            lastState: {},
          },
        ],
      },
    };
    const actions = reconcileJob(j, [pod], 0);
    expect(actions.some((a) => a.verb === 'delete' && a.name === 'p')).toBe(true);
    expect(actions.some((a) => a.verb === 'event' && a.reason === 'BackoffLimitExceeded')).toBe(true);
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds and stops its pods', () => {
    const w = new World();
    w.put('jobs', job({ activeDeadlineSeconds: 10 }));
    w.apply(reconcileJob(w.list<Job>('jobs')[0]!, [], w.now));
    expect(w.list('pods')).toHaveLength(2);
    w.now += 11_000;
    w.apply(reconcileJob(w.list<Job>('jobs')[0]!, w.list('pods'), w.now));
    expect(w.list('pods')).toHaveLength(0);
    const cond = getCondition(w.list<Job>('jobs')[0]!.status?.conditions, 'Failed');
    expect(cond).toMatchObject({ status: 'True', reason: 'DeadlineExceeded' });
  });

  it('never touches a finished job again', () => {
    const w = new World();
    w.put('jobs', job({ completions: 1, parallelism: 1 }));
    runJob(w, new Set());
    const j = w.list<Job>('jobs')[0]!;
    expect(reconcileJob(j, w.list('pods'), w.now + 1e6).filter((a) => a.verb !== 'updateStatus')).toEqual([]);
  });
});
