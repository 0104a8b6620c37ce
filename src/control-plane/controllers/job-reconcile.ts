import type { Condition, Job, Pod } from '../../kube/index.js';
import { formatTime, parseTime } from '../machinery/clock.js';
import { controllerOf, getCondition, isPodActive, setCondition } from '../machinery/objects.js';
import { resourceTypes } from '../machinery/resources.js';
import { type Action, deleteAction, eventAction, statusUpdate } from './actions.js';
import { judgeFailedPod } from './job-failure-policy.js';
import { forIndex, formatIndexes, parseIndexes, podIndex } from './job-indexes.js';
import { podFromTemplate } from './pod-template.js';
import { compareForDeletion } from './replicaset-reconcile.js';

function finished(job: Job): boolean {
  return ['Complete', 'Failed'].some((t) => getCondition(job.status?.conditions, t)?.status === 'True');
}

function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);
}

/** Why a job fails now, if it does: its Failed condition's reason and message. */
type Failure = { reason: string; message: string };

/**
 * One Job reconcile: keep `parallelism` pods running until `completions` succeeded (with
 * `completionMode: Indexed`, one success per index 0..completions-1, each pod carrying its index);
 * judge failed pods by `podFailurePolicy` (FailJob ends the job, Ignore does not count), count the
 * rest (and container restarts under restartPolicy OnFailure) against `backoffLimit`; stop at
 * `activeDeadlineSeconds`; set Complete or Failed.
 */
export function reconcileJob(job: Job, pods: readonly Pod[], now: number): Action[] {
  if (job.metadata.deletionTimestamp) return [];
  const actions: Action[] = [];
  const mine = pods.filter((p) => controllerOf(p)?.uid === job.metadata.uid);
  let active = mine.filter(isPodActive);
  const onFailure = job.spec.template.spec.restartPolicy === 'OnFailure';
  const completions = job.spec.completions === undefined ? 1 : job.spec.completions;
  const indexed = job.spec.completionMode === 'Indexed' && typeof completions === 'number';
  const parallelism = job.spec.parallelism ?? 1;
  const backoffLimit = job.spec.backoffLimit ?? 6;

  let policyFailure: Failure | undefined;
  let countedFailures = 0;
  for (const p of mine.filter((x) => x.status?.phase === 'Failed')) {
    const verdict = judgeFailedPod(job, p);
    if (verdict?.action === 'FailJob')
      policyFailure ??= { reason: 'PodFailurePolicy', message: verdict.message };
    if (verdict?.action !== 'Ignore') countedFailures++;
  }
  const failed = Math.max(
    job.status?.failed ?? 0,
    countedFailures + (onFailure ? active.reduce((s, p) => s + restarts(p), 0) : 0),
  );
  const succeededPods = mine.filter((p) => p.status?.phase === 'Succeeded');
  const doneIndexes = indexed ? parseIndexes(job.status?.completedIndexes, completions) : new Set<number>();
  if (indexed) {
    for (const p of succeededPods) {
      const i = podIndex(p, completions);
      if (i !== undefined) doneIndexes.add(i);
    }
  }
  const succeeded = indexed ? doneIndexes.size : Math.max(job.status?.succeeded ?? 0, succeededPods.length);
  const startTime = job.status?.startTime ?? formatTime(now);
  let conditions: Condition[] = [...(job.status?.conditions ?? [])];
  let completionTime = job.status?.completionTime;

  const stopActive = () => {
    for (const p of active) actions.push(deleteAction('pods', p));
  };
  const fail = (f: Failure) => {
    stopActive();
    conditions = setCondition(conditions, { type: 'Failed', status: 'True', ...f }, now);
    actions.push(eventAction(job, 'Warning', f.reason, f.message));
  };
  if (!finished(job)) {
    const started = parseTime(startTime) ?? now;
    const deadline = job.spec.activeDeadlineSeconds;
    const done = completions === null ? succeeded > 0 && active.length === 0 : succeeded >= completions;
    if (policyFailure) fail(policyFailure);
    else if (failed > backoffLimit)
      fail({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    else if (deadline !== undefined && now - started >= deadline * 1000)
      fail({ reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
    else if (done) {
      stopActive();
      conditions = setCondition(conditions, { type: 'Complete', status: 'True' }, now);
      completionTime = formatTime(now);
      actions.push(eventAction(job, 'Normal', 'Completed', 'Job completed'));
    } else if (!job.spec.suspend) {
      if (indexed) active = dropStrayIndexPods(active, doneIndexes, completions, actions);
      const remaining = completions === null ? parallelism : completions - succeeded;
      const want = Math.max(0, Math.min(parallelism, remaining));
      if (active.length < want) {
        const labels = {
          'controller-uid': job.metadata.uid ?? '',
          'job-name': job.metadata.name ?? '',
          'batch.kubernetes.io/job-name': job.metadata.name ?? '',
        };
        const fresh = () => podFromTemplate(job.spec.template, job, resourceTypes.jobs, labels);
        const busy = new Set(active.map((p) => podIndex(p, completions ?? 0)));
        const free = indexed
          ? Array.from({ length: completions }, (_, i) => i).filter(
              (i) => !doneIndexes.has(i) && !busy.has(i),
            )
          : [];
        for (let i = active.length; i < want; i++) {
          const index = free.shift();
          actions.push({
            verb: 'create',
            resource: 'pods',
            object: index === undefined ? fresh() : forIndex(fresh(), job, index),
          });
        }
        actions.push(
          eventAction(job, 'Normal', 'SuccessfulCreate', `Created ${want - active.length} pod(s)`),
        );
      } else if (active.length > want) {
        for (const p of [...active].sort(compareForDeletion).slice(0, active.length - want))
          actions.push(deleteAction('pods', p));
      }
    }
  }
  const nowActive = finished({ ...job, status: { conditions } }) ? 0 : active.length;
  const status: NonNullable<Job['status']> = {
    active: nowActive,
    succeeded,
    failed,
    startTime,
    conditions,
    ...(completionTime ? { completionTime } : {}),
    ...(indexed ? { completedIndexes: formatIndexes(doneIndexes) } : {}),
  };
  actions.push(...statusUpdate('jobs', job, status));
  return actions;
}

/**
 * Deletes active pods of an Indexed job that have no valid index, whose index already succeeded,
 * or that duplicate another active pod's index; returns the active pods that remain.
 */
function dropStrayIndexPods(
  active: Pod[],
  done: ReadonlySet<number>,
  completions: number,
  actions: Action[],
): Pod[] {
  const seen = new Set<number>();
  const keep: Pod[] = [];
  for (const p of active) {
    const i = podIndex(p, completions);
    if (i === undefined || done.has(i) || seen.has(i)) actions.push(deleteAction('pods', p));
    else {
      seen.add(i);
      keep.push(p);
    }
  }
  return keep;
}
