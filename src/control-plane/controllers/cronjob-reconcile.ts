import { type CronSchedule, parseCronSchedule } from '../../kube/cron-schedule.js';
import type { CronJob, Job, ObjectReference } from '../../kube/index.js';
import { formatTime, parseTime } from '../machinery/clock.js';
import { clone, controllerOf, controllerRef, getCondition } from '../machinery/objects.js';
import { apiVersionOf, resourceTypes } from '../machinery/resources.js';
import { type Action, deleteAction, eventAction, statusUpdate } from './actions.js';

/** Upstream's cap: past this many missed start times the controller warns instead of counting on. */
export const maxMissedSchedules = 100;

/** Annotation carrying the time a job was scheduled for (kube's name). */
export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export interface CronJobReconcile {
  readonly actions: Action[];
  /** When to look again (the next start time); undefined when nothing is due (suspended, bad spec). */
  readonly requeueAfterMs?: number;
}

function finishedAs(job: Job): 'Complete' | 'Failed' | undefined {
  for (const t of ['Complete', 'Failed'] as const)
    if (getCondition(job.status?.conditions, t)?.status === 'True') return t;
  return undefined;
}

/** `<cronjob>-<minutes since the epoch>`: one name per start time, so a retry never runs it twice. */
export function jobNameFor(cj: CronJob, scheduled: number): string {
  return `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;
}

function refOf(job: Job): ObjectReference {
  return {
    apiVersion: apiVersionOf(resourceTypes.jobs),
    kind: 'Job',
    namespace: job.metadata.namespace ?? '',
    name: job.metadata.name ?? '',
    ...(job.metadata.uid ? { uid: job.metadata.uid } : {}),
    ...(job.metadata.resourceVersion ? { resourceVersion: job.metadata.resourceVersion } : {}),
  };
}

/** Go's RFC1123Z, as upstream's MissSchedule event prints times. */
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

/**
 * The start time to act on now, after kube's mostRecentScheduleTime: the latest start time in
 * (earliest, now], where earliest is the last schedule (or creation), moved up to
 * `now - startingDeadlineSeconds` when set. Also how many start times were missed, counted to 101.
 */
export function mostRecentSchedule(
  cj: CronJob,
  schedule: CronSchedule,
  now: number,
): { scheduled?: number; missed: number } {
  let earliest = parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata.creationTimestamp) ?? now;
  const deadline = cj.spec.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) earliest = Math.max(earliest, now - deadline * 1000);
  const first = schedule.next(earliest);
  if (first === undefined || first > now) return { missed: 0 };
  let missed = 0;
  let last = first;
  for (let t: number | undefined = first; t !== undefined && t <= now; t = schedule.next(t)) {
    missed++;
    last = t;
    // Past the cap, stop walking and jump straight to the latest start time.
    if (missed > maxMissedSchedules) return { scheduled: schedule.latest(now), missed };
  }
  return { scheduled: last, missed };
}

/** The Job for one start time: the template, a controller reference, the scheduled-time annotation. */
export function jobFromTemplate(cj: CronJob, scheduled: number): Job {
  const t = clone(cj.spec.jobTemplate);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: cj.metadata.namespace ?? 'default',
      ...(t.metadata?.labels ? { labels: t.metadata.labels } : {}),
      annotations: {
        ...(t.metadata?.annotations ?? {}),
        [scheduledTimestampAnnotation]: formatTime(scheduled),
      },
      ownerReferences: [
        { ...controllerRef(cj, apiVersionOf(resourceTypes.cronjobs), 'CronJob'), blockOwnerDeletion: true },
      ],
    },
    spec: t.spec,
  };
}

/** Deletes of the oldest finished jobs past a history limit (oldest start first, as upstream). */
function pruneHistory(cj: CronJob, finished: Job[], limit: number | undefined, actions: Action[]): void {
  if (limit === undefined || limit === null || finished.length <= limit) return;
  const byStart = [...finished].sort(
    (a, b) => (parseTime(a.status?.startTime) ?? 0) - (parseTime(b.status?.startTime) ?? 0),
  );
  for (const job of byStart.slice(0, finished.length - limit)) {
    actions.push(deleteAction('jobs', job, undefined, 'Background'));
    actions.push(eventAction(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`));
  }
}

/**
 * One CronJob reconcile (after kube's cronjob controller v2): track the jobs it owns in
 * `status.active`, note finished ones (`lastSuccessfulTime`), prune history, and start the job for
 * the most recent missed start time — at most one, however many were missed — honouring `suspend`,
 * `startingDeadlineSeconds` and `concurrencyPolicy`.
 */
export function reconcileCronJob(cj: CronJob, jobs: readonly Job[], now: number): CronJobReconcile {
  const actions: Action[] = [];
  const mine = jobs.filter((j) => controllerOf(j)?.uid === cj.metadata.uid);
  const byName = new Map(mine.map((j) => [j.metadata.name ?? '', j]));
  let lastSuccessfulTime = cj.status?.lastSuccessfulTime;
  let lastScheduleTime = cj.status?.lastScheduleTime;
  const active: ObjectReference[] = [];
  for (const ref of cj.status?.active ?? []) {
    const job = byName.get(ref.name ?? '');
    if (!job || (ref.uid && job.metadata.uid && ref.uid !== job.metadata.uid)) {
      actions.push(eventAction(cj, 'Warning', 'MissingJob', `Active job went missing: ${ref.name}`));
      continue;
    }
    const done = finishedAs(job);
    if (!done) {
      active.push(refOf(job));
      continue;
    }
    actions.push(
      eventAction(
        cj,
        'Normal',
        'SawCompletedJob',
        `Saw completed job: ${job.metadata.name}, condition: ${done}`,
      ),
    );
    const completed = job.status?.completionTime;
    if (
      done === 'Complete' &&
      completed &&
      (parseTime(completed) ?? 0) > (parseTime(lastSuccessfulTime) ?? 0)
    )
      lastSuccessfulTime = completed;
  }
  const finished = mine.filter((j) => finishedAs(j) !== undefined);
  const finish = (requeueAfterMs?: number): CronJobReconcile => {
    // An absent key is written as undefined so the diff sees a list that emptied (JSON omits it).
    const status: NonNullable<CronJob['status']> = {
      active: active.length ? active : undefined,
      ...(lastScheduleTime ? { lastScheduleTime } : {}),
      ...(lastSuccessfulTime ? { lastSuccessfulTime } : {}),
    };
    actions.push(...statusUpdate('cronjobs', cj, status));
    return { actions, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
  };
  if (cj.metadata.deletionTimestamp) return finish();

  pruneHistory(
    cj,
    finished.filter((j) => finishedAs(j) === 'Complete'),
    cj.spec.successfulJobsHistoryLimit,
    actions,
  );
  pruneHistory(
    cj,
    finished.filter((j) => finishedAs(j) === 'Failed'),
    cj.spec.failedJobsHistoryLimit,
    actions,
  );

  const schedule = parseCronSchedule(cj.spec.schedule ?? '', cj.spec.timeZone ?? undefined);
  if (typeof schedule === 'string') {
    const reason = schedule.startsWith('unknown time zone') ? 'UnknownTimeZone' : 'UnparseableSchedule';
    const what =
      reason === 'UnknownTimeZone'
        ? `invalid timeZone: "${cj.spec.timeZone}"`
        : `unparseable schedule: "${cj.spec.schedule}"`;
    actions.push(eventAction(cj, 'Warning', reason, `${what}: ${schedule}`));
    return finish();
  }
  if (cj.spec.suspend) return finish();
  const next = schedule.next(now);
  const wake = next === undefined ? undefined : next - now + 100;

  const { scheduled, missed } = mostRecentSchedule(cj, schedule, now);
  if (scheduled === undefined) return finish(wake);
  if (missed > maxMissedSchedules)
    actions.push(
      eventAction(
        cj,
        'Warning',
        'TooManyMissedTimes',
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      ),
    );
  const deadline = cj.spec.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
    actions.push(
      eventAction(
        cj,
        'Warning',
        'MissSchedule',
        `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`,
      ),
    );
    return finish(wake);
  }
  const name = jobNameFor(cj, scheduled);
  const existing = byName.get(name);
  if (existing) {
    // Created before a status write was lost (or already done): record it, never create it twice.
    if (!finishedAs(existing) && !active.some((r) => r.name === name)) active.push(refOf(existing));
    if ((parseTime(lastScheduleTime) ?? 0) < scheduled) lastScheduleTime = formatTime(scheduled);
    return finish(wake);
  }
  const policy = cj.spec.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length > 0) {
    actions.push(
      eventAction(
        cj,
        'Normal',
        'JobAlreadyActive',
        'Not starting job because prior execution is running and concurrency policy is Forbid',
      ),
    );
    return finish(wake);
  }
  if (policy === 'Replace') {
    for (const ref of active.splice(0)) {
      const metadata = {
        name: ref.name ?? '',
        namespace: ref.namespace,
        ...(ref.uid ? { uid: ref.uid } : {}),
      };
      actions.push(deleteAction('jobs', { metadata }, undefined, 'Background'));
      actions.push(eventAction(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${ref.name}`));
    }
  }
  const job = jobFromTemplate(cj, scheduled);
  actions.push({ verb: 'create', resource: 'jobs', object: job });
  actions.push(eventAction(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`));
  active.push(refOf(job));
  lastScheduleTime = formatTime(scheduled);
  return finish(wake);
}
