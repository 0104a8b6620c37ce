import { describe, expect, it } from 'vitest';
import type { CronJob, Job, KubeEvent, Pod } from '../../src/client/index.js';
import { resources } from '../../src/client/index.js';
import { useLocalCluster } from '../support/local-cluster.js';
import { waitFor } from '../support/wait.js';

// Issue #14 acceptance: a CronJob every minute runs on time for 3 minutes, and a CronJob with
// `concurrencyPolicy: Forbid` whose job outlasts a minute never runs two jobs at once, on the real
// `local up` (control plane and an agent as processes, the process runtime; needs dist/: npm run
// build), real kubectl and the real wall clock. Both run in the same 3 minutes.

const SCHEDULED = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** How late a job's pod may start after its minute (the machine is shared by other suites). */
const MAX_LAG_MS = 20_000;
const SLOW_SECONDS = 90;

const local = useLocalCluster('tugboat-cron-', { nodes: 1, runtime: 'process', timeoutMs: 120_000 });

/** A CronJob every minute whose job runs `command` (a YAML list), with more `spec` lines. */
const everyMinute = (name: string, command: string, spec: string[] = []) => `apiVersion: batch/v1
kind: CronJob
metadata: {name: ${name}, namespace: default}
spec:
  schedule: '*/1 * * * *'
  successfulJobsHistoryLimit: 10${spec.map((l) => `\n  ${l}`).join('')}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers:
          - {name: main, image: busybox, command: ${command}}
`;

const cronJobs = [
  everyMinute('ticker', '[date]'),
  everyMinute('slow', `[sleep, '${SLOW_SECONDS}']`, ['concurrencyPolicy: Forbid']),
  everyMinute('deadline', `[sleep, '${SLOW_SECONDS}']`, [
    'concurrencyPolicy: Forbid',
    'startingDeadlineSeconds: 10',
  ]),
].join('---\n');

/** One job of a CronJob with its minute and its pod's run (from the container's state). */
interface Run {
  readonly job: string;
  readonly scheduled: number;
  readonly created: number;
  readonly started?: number;
  readonly finished?: number;
  readonly complete: boolean;
}

const time = (s: string | undefined) => (s ? Date.parse(s) : undefined);

async function runsOf(cronJob: string): Promise<Run[]> {
  const [jobs, pods] = await Promise.all([
    local.admin.list<Job>(resources.jobs, { namespace: 'default' }),
    local.admin.list<Pod>(resources.pods, { namespace: 'default' }),
  ]);
  return jobs.items
    .filter((j) => j.metadata.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name === cronJob))
    .map((j) => {
      const pod = pods.items.find((p) => p.metadata.labels?.['job-name'] === j.metadata.name);
      const state = pod?.status?.containerStatuses?.[0]?.state;
      return {
        job: j.metadata.name ?? '',
        scheduled: time(j.metadata.annotations?.[SCHEDULED]) ?? Number.NaN,
        created: time(j.metadata.creationTimestamp) ?? Number.NaN,
        started: time(state?.running?.startedAt ?? state?.terminated?.startedAt),
        finished: time(state?.terminated?.finishedAt),
        complete: j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ?? false,
      };
    })
    .sort((a, b) => a.scheduled - b.scheduled);
}

/** Samples how many pods of each CronJob run at once, every 500 ms; keeps the highest counts. */
function sampleRunning(names: readonly string[]) {
  let stopped = false;
  const max = new Map(names.map((n) => [n, 0]));
  let samples = 0;
  const done = (async () => {
    while (!stopped) {
      try {
        const pods = await local.admin.list<Pod>(resources.pods, { namespace: 'default' });
        for (const name of names) {
          const running = pods.items.filter(
            (p) => p.metadata.labels?.['job-name']?.startsWith(`${name}-`) && p.status?.phase === 'Running',
          ).length;
          max.set(name, Math.max(max.get(name) ?? 0, running));
        }
        samples++;
      } catch {
        // a slow answer on a busy machine: the next sample counts
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return { max, samples };
    },
  };
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

describe('CronJobs on local up in real time (process runtime)', () => {
  it('runs a job every minute on time, and never two at once under concurrencyPolicy Forbid', async () => {
    await local.kubectl.apply(cronJobs);
    const created = time(
      (await local.admin.get<CronJob>(resources.cronJobs, 'ticker', 'default')).metadata.creationTimestamp,
    );
    if (created === undefined) throw new Error('ticker has no creationTimestamp');
    // The first start time is the first minute after creation: no run for a minute before it.
    const first = Math.floor(created / 60_000) * 60_000 + 60_000;
    const sampler = sampleRunning(['slow', 'deadline']);

    const ticks = await waitFor(
      async () => {
        const runs = await runsOf('ticker');
        return runs.filter((r) => r.complete).length >= 3 && runs;
      },
      'three ticker jobs complete',
      // Up to a minute to the first start time, two more minutes, and the last job's run.
      300_000,
      1000,
    );
    // The third minute's skip of the slow CronJob has happened by the time its own job ran.
    const third = first + 120_000;
    await waitFor(() => Date.now() > third + 5_000, 'five seconds past the third start time', 60_000, 500);
    const slow = await runsOf('slow');
    const late = await runsOf('deadline');
    const overlap = await sampler.stop();

    const lags = ticks.slice(0, 3).map((r) => (r.started ?? Number.NaN) - r.scheduled);
    const slowLag = (slow[0]?.started ?? Number.NaN) - (slow[0]?.scheduled ?? 0);
    console.info(
      `cronjob acceptance: ticker pods started ${lags.map(seconds).join(' s, ')} s after their minutes ` +
        `(jobs created ${ticks
          .slice(0, 3)
          .map((r) => seconds(r.created - r.scheduled))
          .join(' s, ')} s after); slow: first pod ${seconds(slowLag)} s after its minute, ` +
        `deadline: pods ${late.map((r) => seconds((r.started ?? Number.NaN) - r.scheduled)).join(' s, ')} s after their minutes; ` +
        `${overlap.samples} samples, at most ${[...overlap.max.values()].join(' and ')} running`,
    );

    // Every minute: consecutive minutes from the first one, each pod started within the bound.
    expect(ticks.map((r) => r.scheduled).slice(0, 3)).toEqual([first, first + 60_000, first + 120_000]);
    for (const lag of lags) {
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(MAX_LAG_MS);
    }
    // No catch-up storm and no duplicates: one job per minute, none before the first.
    expect(new Set(ticks.map((r) => r.scheduled)).size).toBe(ticks.length);
    expect(ticks.every((r) => r.scheduled >= first)).toBe(true);

    // Forbid: the first minute ran on time; the second minute's start time came while it ran, was
    // skipped (JobAlreadyActive) and ran late once the first job finished, as Kubernetes does
    // without startingDeadlineSeconds; the third minute came while that one ran: no job for it.
    expect(slowLag).toBeGreaterThanOrEqual(0);
    expect(slowLag).toBeLessThan(MAX_LAG_MS);
    expect(slow.map((r) => r.scheduled)).toEqual([first, first + 60_000]);
    const [a, b] = slow;
    if (!a || !b) throw new Error('two slow jobs expected');
    expect(a.complete).toBe(true);
    expect(b.complete).toBe(false);
    expect(a.finished).toBeDefined();
    expect(b.started).toBeDefined();
    // Not before the first finished, and promptly after (the controller wakes on the job's change).
    expect(b.started ?? 0).toBeGreaterThanOrEqual(a.finished ?? Number.POSITIVE_INFINITY);
    expect((b.started ?? 0) - (a.finished ?? 0)).toBeLessThan(MAX_LAG_MS);
    expect(b.created).toBeGreaterThan(b.scheduled + (SLOW_SECONDS - 60) * 1000 - MAX_LAG_MS);
    expect(overlap.max.get('slow')).toBe(1);
    expect(overlap.samples).toBeGreaterThan(100);

    const cj = await local.admin.get<CronJob>(resources.cronJobs, 'slow', 'default');
    expect(cj.status?.active?.map((r) => r.name)).toEqual([b.job]);
    expect(cj.status?.lastScheduleTime && Date.parse(cj.status.lastScheduleTime)).toBe(b.scheduled);
    const events = await local.admin.list<KubeEvent>(resources.events, {
      namespace: 'default',
      fieldSelector: 'involvedObject.name=slow',
    });
    expect(events.items.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['SuccessfulCreate', 'SawCompletedJob', 'JobAlreadyActive']),
    );

    // Forbid with startingDeadlineSeconds 10: the second minute was skipped while the first job ran
    // and was past its deadline when that job ended, so it never ran; the third ran on time.
    expect(late.map((r) => r.scheduled)).toEqual([first, first + 120_000]);
    for (const r of late) {
      const lag = (r.started ?? Number.NaN) - r.scheduled;
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(MAX_LAG_MS);
    }
    expect(late[1]?.started ?? 0).toBeGreaterThanOrEqual(late[0]?.finished ?? Number.POSITIVE_INFINITY);
    expect(overlap.max.get('deadline')).toBe(1);
    expect(await local.kubectl.ok('get', 'cronjob', 'slow', '--no-headers')).toMatch(
      /^slow\s+\*\/1 \* \* \* \*\s+\S+\s+False\s+1\s/,
    );
  }, 600_000);
});
