import type { Condition, Job, Pod } from '../../kube/index.js';
import { formatTime, parseTime } from '../machinery/clock.js';
import { controllerOf, getCondition, isPodActive, setCondition } from '../machinery/objects.js';
import { resourceTypes } from '../machinery/resources.js';
import { type Action, deleteAction, eventAction, statusUpdate } from './actions.js';
import { podFromTemplate } from './pod-template.js';
import { compareForDeletion } from './replicaset-reconcile.js';

function finished(job: Job): boolean {
  return ['Complete', 'Failed'].some((t) => getCondition(job.status?.conditions, t)?.status === 'True');
}

function restarts(pod: Pod): number {
  return (pod.status?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);
}

/**
 * One Job reconcile: keep `parallelism` pods running until `completions` succeeded; count
 * failures (failed pods, and container restarts under restartPolicy OnFailure) against
 * `backoffLimit`; stop at `activeDeadlineSeconds`; set Complete or Failed.
 */
export function reconcileJob(job: Job, pods: readonly Pod[], now: number): Action[] {
  if (job.metadata.deletionTimestamp) return [];
  const actions: Action[] = [];
  const mine = pods.filter((p) => controllerOf(p)?.uid === job.metadata.uid);
  const active = mine.filter(isPodActive);
  const onFailure = job.spec.template.spec.restartPolicy === 'OnFailure';
  const succeeded = Math.max(
    job.status?.succeeded ?? 0,
    mine.filter((p) => p.status?.phase === 'Succeeded').length,
  );
  const failed = Math.max(
    job.status?.failed ?? 0,
    mine.filter((p) => p.status?.phase === 'Failed').length +
      (onFailure ? active.reduce((s, p) => s + restarts(p), 0) : 0),
  );
  const completions = job.spec.completions === undefined ? 1 : job.spec.completions;
  const parallelism = job.spec.parallelism ?? 1;
  const backoffLimit = job.spec.backoffLimit ?? 6;
  const startTime = job.status?.startTime ?? formatTime(now);
  let conditions: Condition[] = [...(job.status?.conditions ?? [])];
  let completionTime = job.status?.completionTime;

  const stopActive = () => {
    for (const p of active) actions.push(deleteAction('pods', p));
  };
  if (!finished(job)) {
    const started = parseTime(startTime) ?? now;
    const deadline = job.spec.activeDeadlineSeconds;
    const done = completions === null ? succeeded > 0 && active.length === 0 : succeeded >= completions;
    if (failed > backoffLimit) {
      stopActive();
      conditions = setCondition(
        conditions,
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        },
        now,
      );
      actions.push(
        eventAction(job, 'Warning', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
      );
    } else if (deadline !== undefined && now - started >= deadline * 1000) {
      stopActive();
      conditions = setCondition(
        conditions,
        {
          type: 'Failed',
          status: 'True',
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline',
        },
        now,
      );
      actions.push(
        eventAction(job, 'Warning', 'DeadlineExceeded', 'Job was active longer than specified deadline'),
      );
    } else if (done) {
      stopActive();
      conditions = setCondition(conditions, { type: 'Complete', status: 'True' }, now);
      completionTime = formatTime(now);
      actions.push(eventAction(job, 'Normal', 'Completed', 'Job completed'));
    } else if (!job.spec.suspend) {
      const remaining = completions === null ? parallelism : completions - succeeded;
      const want = Math.max(0, Math.min(parallelism, remaining));
      if (active.length < want) {
        const labels = {
          'controller-uid': job.metadata.uid ?? '',
          'job-name': job.metadata.name ?? '',
          'batch.kubernetes.io/job-name': job.metadata.name ?? '',
        };
        for (let i = active.length; i < want; i++) {
          actions.push({
            verb: 'create',
            resource: 'pods',
            object: podFromTemplate(job.spec.template, job, resourceTypes.jobs, labels),
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
  };
  actions.push(...statusUpdate('jobs', job, status));
  return actions;
}
