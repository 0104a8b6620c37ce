import { describe, expect, it } from 'vitest';
import {
  jobNameFor,
  reconcileCronJob,
  scheduledTimestampAnnotation,
} from '../../../src/control-plane/controllers/cronjob-reconcile.js';
import { formatTime } from '../../../src/control-plane/machinery/clock.js';
import type { CronJob, Job } from '../../../src/kube/index.js';
import { World } from './world.js';

const minute = 60_000;
const created = Date.parse('2026-01-01T00:00:00Z');

function cronJob(extra: Partial<CronJob['spec']> = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default', uid: 'uid-cj', creationTimestamp: formatTime(created) },
    spec: {
      schedule: '*/1 * * * *',
      concurrencyPolicy: 'Allow',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: { app: 'tick' } },
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      },
      ...extra,
    },
  };
}

function withStatus(cj: CronJob, status: CronJob['status']): CronJob {
  return { ...cj, status };
}

/** One reconcile at the world's time; returns the requeue delay. */
function step(w: World): number | undefined {
  const cj = w.list<CronJob>('cronjobs')[0]!;
  const r = reconcileCronJob(cj, w.list<Job>('jobs'), w.now);
  w.apply(r.actions);
  return r.requeueAfterMs;
}

function finish(w: World, name: string, how: 'Complete' | 'Failed'): void {
  const job = w.list<Job>('jobs').find((j) => j.metadata.name === name)!;
  job.status = {
    startTime: formatTime(w.now - 10_000),
    completionTime: formatTime(w.now),
    conditions: [{ type: how, status: 'True' }],
  };
}

const cj = (w: World) => w.list<CronJob>('cronjobs')[0]!;
const jobNames = (w: World) =>
  w
    .list<Job>('jobs')
    .map((j) => j.metadata.name)
    .sort();

describe('reconcileCronJob (virtual time)', () => {
  it('starts one job per minute named after its start time and wakes at the next one', () => {
    const w = new World();
    w.now = created + 30_000;
    w.put('cronjobs', cronJob());
    expect(step(w)).toBe(30_000 + 100);
    expect(w.list('jobs')).toHaveLength(0);
    w.now = created + minute + 200;
    step(w);
    const name = jobNameFor(cj(w), created + minute);
    expect(jobNames(w)).toEqual([name]);
    const job = w.list<Job>('jobs')[0]!;
    expect(job.metadata.labels).toEqual({ app: 'tick' });
    expect(job.metadata.annotations?.[scheduledTimestampAnnotation]).toBe('2026-01-01T00:01:00Z');
    expect(job.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'CronJob',
      name: 'tick',
      controller: true,
    });
    expect(JSON.parse(JSON.stringify(cj(w).status))).toEqual({
      active: [expect.objectContaining({ kind: 'Job', name, namespace: 'default' })],
      lastScheduleTime: '2026-01-01T00:01:00Z',
    });
    expect(w.events.map((e) => e.reason)).toEqual(['SuccessfulCreate']);
    // Reconciling again within the same minute creates nothing more.
    step(w);
    expect(w.list('jobs')).toHaveLength(1);
  });

  it('notes a finished job, sets lastSuccessfulTime and keeps only the history limits', () => {
    const w = new World();
    w.put('cronjobs', cronJob({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 }));
    for (let i = 1; i <= 6; i++) {
      w.now = created + i * minute + 100;
      step(w);
      finish(w, jobNameFor(cj(w), created + i * minute), i === 2 || i === 4 ? 'Failed' : 'Complete');
    }
    w.now += 1000;
    step(w);
    const base = Math.floor(created / minute);
    // Successes 1, 3, 5, 6: keep 5 and 6. Failures 2 and 4: keep 4.
    expect(jobNames(w)).toEqual([`tick-${base + 4}`, `tick-${base + 5}`, `tick-${base + 6}`]);
    expect(cj(w).status?.active).toBeUndefined();
    expect(cj(w).status?.lastSuccessfulTime).toBe(formatTime(created + 6 * minute + 100));
    expect(w.events.filter((e) => e.reason === 'SawCompletedJob').map((e) => e.message)).toContain(
      `Saw completed job: tick-${base + 2}, condition: Failed`,
    );
    expect(w.events.filter((e) => e.reason === 'SuccessfulDelete')).toHaveLength(3);
  });

  it('with Forbid, skips a start time while a job runs and runs it late once the job ends', () => {
    const w = new World();
    w.put('cronjobs', cronJob({ concurrencyPolicy: 'Forbid' }));
    w.now = created + minute + 100;
    step(w);
    w.now = created + 2 * minute + 100;
    step(w);
    expect(w.list('jobs')).toHaveLength(1);
    expect(w.events.at(-1)).toMatchObject({
      reason: 'JobAlreadyActive',
      message: 'Not starting job because prior execution is running and concurrency policy is Forbid',
    });
    w.now = created + 3 * minute + 100;
    step(w);
    expect(w.list('jobs')).toHaveLength(1);
    finish(w, jobNameFor(cj(w), created + minute), 'Complete');
    w.now += 5_000;
    step(w);
    // Only the most recent missed time (minute 3) runs, not minute 2 as well.
    expect(jobNames(w)).toEqual([
      jobNameFor(cj(w), created + minute),
      jobNameFor(cj(w), created + 3 * minute),
    ]);
  });

  it('with Replace, deletes the running job and starts the new one', () => {
    const w = new World();
    w.put('cronjobs', cronJob({ concurrencyPolicy: 'Replace' }));
    w.now = created + minute + 100;
    step(w);
    w.now = created + 2 * minute + 100;
    step(w);
    expect(jobNames(w)).toEqual([jobNameFor(cj(w), created + 2 * minute)]);
    expect(cj(w).status?.active?.map((r) => r.name)).toEqual([jobNameFor(cj(w), created + 2 * minute)]);
    expect(w.events.map((e) => e.reason)).toEqual([
      'SuccessfulCreate',
      'SuccessfulDelete',
      'SuccessfulCreate',
    ]);
  });

  it('with Allow, lets runs overlap', () => {
    const w = new World();
    w.put('cronjobs', cronJob());
    for (let i = 1; i <= 3; i++) {
      w.now = created + i * minute + 100;
      step(w);
    }
    expect(cj(w).status?.active).toHaveLength(3);
  });

  it('after a long outage runs one catch-up job, and warns past 100 missed start times', () => {
    const w = new World();
    w.put('cronjobs', withStatus(cronJob(), { lastScheduleTime: formatTime(created) }));
    w.now = created + 50 * minute + 100;
    step(w);
    expect(jobNames(w)).toEqual([jobNameFor(cj(w), created + 50 * minute)]);
    expect(w.events.map((e) => e.reason)).toEqual(['SuccessfulCreate']);

    const w2 = new World();
    w2.put('cronjobs', withStatus(cronJob(), { lastScheduleTime: formatTime(created) }));
    w2.now = created + 180 * minute + 100;
    step(w2);
    expect(jobNames(w2)).toEqual([jobNameFor(cj(w2), created + 180 * minute)]);
    expect(w2.events[0]).toEqual({
      type: 'Warning',
      reason: 'TooManyMissedTimes',
      message:
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    });
  });

  it('with startingDeadlineSeconds, counts only recent misses and skips a start time that is too late', () => {
    const w = new World();
    w.put(
      'cronjobs',
      withStatus(cronJob({ startingDeadlineSeconds: 120 }), { lastScheduleTime: formatTime(created) }),
    );
    w.now = created + 500 * minute + 100;
    step(w);
    expect(w.events.map((e) => e.reason)).toEqual(['SuccessfulCreate']);

    const hourly = new World();
    hourly.put('cronjobs', cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 30 }));
    hourly.now = created + 60 * minute + 20_000;
    step(hourly);
    expect(hourly.list('jobs')).toHaveLength(1);
    hourly.now = created + 120 * minute + 45_000;
    const wake = step(hourly);
    expect(hourly.list('jobs')).toHaveLength(1);
    expect(wake).toBe(60 * minute - 45_000 + 100);
  });

  it('starts nothing while suspended, and resumes with the most recent start time', () => {
    const w = new World();
    w.put('cronjobs', cronJob({ suspend: true }));
    w.now = created + 5 * minute + 100;
    expect(step(w)).toBeUndefined();
    expect(w.list('jobs')).toHaveLength(0);
    cj(w).spec.suspend = false;
    step(w);
    expect(jobNames(w)).toEqual([jobNameFor(cj(w), created + 5 * minute)]);
  });

  it('adopts the job of a start time it created before its status write was lost', () => {
    const w = new World();
    w.put('cronjobs', cronJob());
    w.now = created + minute + 100;
    const first = reconcileCronJob(cj(w), [], w.now);
    w.apply(first.actions.filter((a) => a.verb === 'create'));
    step(w);
    expect(w.list('jobs')).toHaveLength(1);
    expect(cj(w).status?.active?.[0]?.uid).toBe(`uid-jobs-${jobNameFor(cj(w), created + minute)}`);
    expect(cj(w).status?.lastScheduleTime).toBe('2026-01-01T00:01:00Z');
  });

  it('drops an active job that disappeared, and ignores jobs of other owners', () => {
    const w = new World();
    w.put(
      'cronjobs',
      withStatus(cronJob(), { active: [{ kind: 'Job', name: 'gone', namespace: 'default' }] }),
    );
    w.put('jobs', {
      ...(cronJob().spec.jobTemplate as unknown as Job),
      metadata: { name: 'other', namespace: 'default' },
    });
    w.now = created + 30_000;
    step(w);
    expect(cj(w).status?.active).toBeUndefined();
    expect(w.events).toEqual([
      { type: 'Warning', reason: 'MissingJob', message: 'Active job went missing: gone' },
    ]);
  });

  it('reads the schedule in its timeZone and reports a bad zone or schedule as a Warning', () => {
    const w = new World();
    w.put('cronjobs', cronJob({ schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }));
    w.now = Date.parse('2026-01-01T23:59:30Z');
    expect(step(w)).toBe(30_000 + 100);
    w.now = Date.parse('2026-01-02T00:00:30Z');
    step(w);
    // 09:00 in Tokyo is midnight UTC.
    expect(jobNames(w)).toEqual([jobNameFor(cj(w), Date.parse('2026-01-02T00:00:00Z'))]);

    const bad = new World();
    bad.put('cronjobs', cronJob({ timeZone: 'Mars/Olympus' }));
    expect(step(bad)).toBeUndefined();
    expect(bad.events[0]).toMatchObject({ type: 'Warning', reason: 'UnknownTimeZone' });
    const worse = new World();
    worse.put('cronjobs', cronJob({ schedule: 'every minute' }));
    step(worse);
    expect(worse.events[0]).toMatchObject({ type: 'Warning', reason: 'UnparseableSchedule' });
  });
});
