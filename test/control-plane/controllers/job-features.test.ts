import { describe, expect, it } from 'vitest';
import { formatIndexes, parseIndexes } from '../../../src/control-plane/controllers/job-indexes.js';
import { reconcileJob } from '../../../src/control-plane/controllers/job-reconcile.js';
import { reconcileTtlAfterFinished } from '../../../src/control-plane/controllers/ttl-after-finished.js';
import { formatTime } from '../../../src/control-plane/machinery/clock.js';
import { getCondition } from '../../../src/control-plane/machinery/objects.js';
import type { Condition, Job, Pod } from '../../../src/kube/index.js';
import { World } from './world.js';

function job(extra: Partial<Job['spec']> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'batch', namespace: 'default', uid: 'uid-job' },
    spec: {
      completions: 4,
      parallelism: 2,
      backoffLimit: 6,
      template: {
        metadata: { labels: { app: 'batch' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' },
      },
      ...extra,
    },
  };
}

const theJob = (w: World) => w.list<Job>('jobs')[0]!;
const step = (w: World) => w.apply(reconcileJob(theJob(w), w.list('pods'), w.now));
const running = (w: World) => w.list<Pod>('pods').filter((p) => !p.status?.phase);

/** Ends a pod: Succeeded, or Failed with a container exit code and optional pod conditions. */
function end(pod: Pod, exitCode: number, conditions: Condition[] = []): void {
  pod.status = {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    conditions,
    containerStatuses: [
      {
        name: 'c',
        ready: false,
        restartCount: 0,
        image: 'busybox',
        imageID: '',
        state: { terminated: { exitCode } },
        lastState: {},
      },
    ],
  };
}

describe('Indexed jobs', () => {
  it('runs one pod per index with its index in an annotation, a label, the env and the hostname', () => {
    const w = new World();
    w.put('jobs', job({ completionMode: 'Indexed' }));
    step(w);
    const first = running(w);
    expect(first.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'])).toEqual([
      '0',
      '1',
    ]);
    const pod = first[1]!;
    expect(pod.metadata.name).toMatch(/^batch-1-/);
    expect(pod.metadata.labels?.['batch.kubernetes.io/job-completion-index']).toBe('1');
    expect(pod.spec.hostname).toBe('batch-1');
    expect(pod.spec.containers[0]?.env).toContainEqual({
      name: 'JOB_COMPLETION_INDEX',
      valueFrom: {
        fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
      },
    });

    // Index 1 succeeds, index 0 fails: the next pods are for 0 (again) and 2.
    end(first[1]!, 0);
    end(first[0]!, 1);
    step(w);
    const second = running(w).map(
      (p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'],
    );
    expect(second.sort()).toEqual(['0', '2']);
    expect(theJob(w).status).toMatchObject({ succeeded: 1, failed: 1, completedIndexes: '1' });
    for (let round = 0; round < 5; round++) {
      for (const p of running(w)) end(p, 0);
      step(w);
    }
    expect(theJob(w).status).toMatchObject({ succeeded: 4, completedIndexes: '0-3', active: 0 });
    expect(getCondition(theJob(w).status?.conditions, 'Complete')?.status).toBe('True');
  });

  it('deletes an active pod whose index already succeeded or is taken, and runs a free index', () => {
    const w = new World();
    w.put('jobs', job({ completionMode: 'Indexed' }));
    step(w);
    const [p0] = running(w);
    const twin = structuredClone(p0!);
    twin.metadata.name = 'twin';
    twin.metadata.uid = 'uid-twin';
    w.put('pods', twin);
    // Index 0 is recorded as done (say, by a pod already garbage-collected).
    theJob(w).status = { ...theJob(w).status, completedIndexes: '0', succeeded: 1 };
    step(w);
    const indexes = running(w).map(
      (p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'],
    );
    expect(indexes.sort()).toEqual(['1', '2']);
    expect(running(w).some((p) => p.metadata.name === 'twin' || p.metadata.name === p0!.metadata.name)).toBe(
      false,
    );
  });

  it('writes and reads completedIndexes ranges', () => {
    expect(formatIndexes([5, 0, 1, 2, 7, 8, 3])).toBe('0-3,5,7-8');
    expect(formatIndexes([])).toBe('');
    expect([...parseIndexes('0-3,5,7-8,x,9', 8)]).toEqual([0, 1, 2, 3, 5, 7]);
  });
});

describe('podFailurePolicy', () => {
  const policy = (rules: NonNullable<Job['spec']['podFailurePolicy']>['rules']) =>
    job({ completions: 1, parallelism: 1, backoffLimit: 1, podFailurePolicy: { rules } });

  it('fails the job at once on a FailJob exit code, naming container, pod and rule', () => {
    const w = new World();
    w.put('jobs', policy([{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }]));
    step(w);
    const pod = running(w)[0]!;
    end(pod, 42);
    step(w);
    const failed = getCondition(theJob(w).status?.conditions, 'Failed');
    expect(failed).toMatchObject({
      status: 'True',
      reason: 'PodFailurePolicy',
      message: `Container c for pod default/${pod.metadata.name} failed with exit code 42 matching FailJob rule at index 0`,
    });
    expect(w.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'PodFailurePolicy' });
  });

  it('does not count Ignore failures (a DisruptionTarget pod) against backoffLimit', () => {
    const w = new World();
    w.put(
      'jobs',
      policy([
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
        { action: 'Count', onExitCodes: { operator: 'NotIn', values: [0] } },
      ]),
    );
    for (let i = 0; i < 4; i++) {
      step(w);
      end(running(w)[0]!, 137, [
        { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager' },
      ]);
    }
    step(w);
    expect(getCondition(theJob(w).status?.conditions, 'Failed')).toBeUndefined();
    expect(theJob(w).status?.failed).toBe(0);
    expect(running(w)).toHaveLength(1);
    // Counted failures still end the job past backoffLimit (1).
    end(running(w)[0]!, 3);
    step(w);
    end(running(w)[0]!, 3);
    step(w);
    expect(getCondition(theJob(w).status?.conditions, 'Failed')).toMatchObject({
      reason: 'BackoffLimitExceeded',
    });
  });

  it('matches NotIn on a named container and never matches exit code 0', () => {
    const w = new World();
    w.put(
      'jobs',
      policy([{ action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'NotIn', values: [1, 2] } }]),
    );
    step(w);
    end(running(w)[0]!, 2);
    step(w);
    expect(getCondition(theJob(w).status?.conditions, 'Failed')).toBeUndefined();
    end(running(w)[0]!, 9);
    step(w);
    expect(getCondition(theJob(w).status?.conditions, 'Failed')).toMatchObject({
      reason: 'PodFailurePolicy',
    });
  });
});

describe('ttlSecondsAfterFinished', () => {
  const finished = (ttl: number | undefined, at: number): Job => {
    const j = job(ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl });
    j.status = { completionTime: formatTime(at), conditions: [{ type: 'Complete', status: 'True' }] };
    return j;
  };
  const t0 = Date.parse('2026-01-01T00:00:00Z');

  it('deletes a finished job (Foreground) once its TTL has passed, and waits until then', () => {
    expect(reconcileTtlAfterFinished(finished(60, t0), t0 + 10_000)).toEqual({
      actions: [],
      requeueAfterMs: 50_100,
    });
    expect(reconcileTtlAfterFinished(finished(60, t0), t0 + 60_000).actions).toEqual([
      {
        verb: 'delete',
        resource: 'jobs',
        namespace: 'default',
        name: 'batch',
        uid: 'uid-job',
        propagationPolicy: 'Foreground',
      },
    ]);
    expect(reconcileTtlAfterFinished(finished(0, t0), t0).actions).toHaveLength(1);
  });

  it('leaves running jobs and jobs without a TTL alone; a failed job counts from its condition', () => {
    expect(reconcileTtlAfterFinished(finished(undefined, t0), t0 + 1e9)).toEqual({ actions: [] });
    expect(reconcileTtlAfterFinished(job({ ttlSecondsAfterFinished: 1 }), t0 + 1e9)).toEqual({ actions: [] });
    const failed = job({ ttlSecondsAfterFinished: 5 });
    failed.status = {
      conditions: [{ type: 'Failed', status: 'True', lastTransitionTime: formatTime(t0) }],
    };
    expect(reconcileTtlAfterFinished(failed, t0 + 4_000).requeueAfterMs).toBe(1_100);
    expect(reconcileTtlAfterFinished(failed, t0 + 5_000).actions).toHaveLength(1);
  });
});
