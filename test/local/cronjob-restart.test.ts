import { expect, it } from 'vitest';
import type { CronJob, Job, Pod } from '../../src/client/index.js';
import { resources } from '../../src/client/index.js';
import { killLocalControlPlane } from '../support/local-agent.js';
import { useLocalCluster } from '../support/local-cluster.js';
import { waitFor } from '../support/wait.js';

// Issue #14: missed schedules after a control-plane outage are handled as Kubernetes does — one
// catch-up Job for the most recent missed start time, not one per miss — on the real `local up`
// (process runtime; needs dist/: npm run build), the real clock, and a control plane killed with -9
// for two start times and started again on its data directory.

const SCHEDULED = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const local = useLocalCluster('tugboat-cronrestart-', { nodes: 1, runtime: 'process', timeoutMs: 120_000 });

const minute = (ms: number) => Math.floor(ms / 60_000) * 60_000;

async function jobs(): Promise<{ scheduled: number; started?: number }[]> {
  const [list, pods] = await Promise.all([
    local.admin.list<Job>(resources.jobs, { namespace: 'default' }),
    local.admin.list<Pod>(resources.pods, { namespace: 'default' }),
  ]);
  return list.items
    .map((j) => {
      const state = pods.items.find((p) => p.metadata.labels?.['job-name'] === j.metadata.name)?.status
        ?.containerStatuses?.[0]?.state;
      const started = state?.running?.startedAt ?? state?.terminated?.startedAt;
      return {
        scheduled: Date.parse(j.metadata.annotations?.[SCHEDULED] ?? ''),
        ...(started ? { started: Date.parse(started) } : {}),
      };
    })
    .sort((a, b) => a.scheduled - b.scheduled);
}

it('runs one catch-up job for the start times missed while the control plane was down', async () => {
  // Not right before a minute: the kill must come before the first start time.
  await waitFor(() => Date.now() % 60_000 < 45_000, 'a quarter of a minute to go at least', 60_000, 500);
  await local.kubectl.apply(`apiVersion: batch/v1
kind: CronJob
metadata: {name: catchup, namespace: default}
spec:
  schedule: '*/1 * * * *'
  successfulJobsHistoryLimit: 10
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - {name: main, image: busybox, command: [date]}
`);
  const created = Date.parse(
    (await local.admin.get<CronJob>(resources.cronJobs, 'catchup', 'default')).metadata.creationTimestamp ??
      '',
  );
  const restart = killLocalControlPlane(local.cluster);
  const first = minute(created) + 60_000;
  // Down over two start times.
  await waitFor(() => Date.now() > first + 60_000 + 5_000, 'two start times missed', 200_000, 500);
  restart();
  const restartedAt = Date.now();
  const caughtUp = await waitFor(
    async () => {
      const js = await jobs();
      return js.length > 0 && js[0]?.started !== undefined && js;
    },
    'the catch-up job running',
    120_000,
    500,
  );
  // One job, for the most recent missed start time (the second, or a later one should the
  // restart take that long on a busy machine), not one for every miss.
  expect(caughtUp).toHaveLength(1);
  const caught = caughtUp[0]?.scheduled ?? 0;
  expect(caught).toBeGreaterThanOrEqual(first + 60_000);
  expect(caught).toBeLessThanOrEqual(minute(caughtUp[0]?.started ?? 0));
  const catchUpMs = (caughtUp[0]?.started ?? 0) - restartedAt;
  // Then the next minute on time.
  const next = caught + 60_000;
  const onTime = await waitFor(
    async () => {
      const js = await jobs();
      return js.some((j) => j.scheduled === next && j.started !== undefined) && js;
    },
    'the next start time running',
    150_000,
    500,
  );
  const lag = (onTime.find((j) => j.scheduled === next)?.started ?? 0) - next;
  console.info(
    `cronjob restart: catch-up pod ${(catchUpMs / 1000).toFixed(1)} s after the control plane restarted; next minute's pod ${(lag / 1000).toFixed(1)} s late`,
  );
  expect(onTime.map((j) => j.scheduled)).toEqual([caught, next]);
  expect(lag).toBeGreaterThanOrEqual(0);
  expect(lag).toBeLessThan(20_000);
  const cj = await local.admin.get<CronJob>(resources.cronJobs, 'catchup', 'default');
  expect(Date.parse(cj.status?.lastScheduleTime ?? '')).toBeGreaterThanOrEqual(next);
}, 600_000);
