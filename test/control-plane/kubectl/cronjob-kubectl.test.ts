import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { CronJob, Job } from '../../../src/kube/index.js';
import { writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';
import { type ControlCluster, startControlCluster } from '../../support/control-cluster.js';
import { waitFor } from '../../support/sim-nodes.js';

const { cronjobs, jobs } = resourceTypes;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// CronJobs with real kubectl against the real API server and controllers. The controllers' clock
// runs ahead of the wall clock by `offset`, so a test reaches the next start time without waiting.
describe('CronJobs with kubectl', () => {
  let pki: TestPki;
  let c: ControlCluster;
  let env: NodeJS.ProcessEnv;
  let offset = 0;
  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile('kubectl', args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr });
      });
    });
  const ok = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    pki = makeTestPki();
    c = await startControlCluster(pki);
    await c.sim.add('node-0', { zone: 'zone-a' });
    c.sim.outcome = () => 'Succeeded';
    c.sim.start();
    env = {
      PATH: process.env.PATH,
      HOME: pki.dir,
      KUBECONFIG: writeKubeconfig(pki, c.server.url, pki.client('admin', ['system:masters'])),
    };
    c.startLoops({ clock: { now: () => Date.now() + offset } });
  });

  afterAll(async () => {
    await c?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('creates a cronjob, lists it like kube does, runs it on schedule, and keeps its status', async () => {
    expect(await ok('create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/1 * * * *')).toContain(
      'cronjob.batch/tick created',
    );
    const table = await ok('get', 'cronjobs');
    expect(table.split('\n')[0]).toMatch(
      /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/,
    );
    expect(table).toMatch(/tick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s/);
    const wide = await ok('get', 'cj', 'tick', '-o', 'wide');
    expect(wide).toMatch(/CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(wide).toMatch(/tick\s+busybox\s+<none>/);

    // Jump the controllers' clock just past the next minute and nudge the CronJob.
    const next = (Math.floor((Date.now() + offset) / 60_000) + 1) * 60_000;
    offset += next - (Date.now() + offset) + 1_000;
    await ok('annotate', 'cronjob', 'tick', 'nudge=1');
    const jobName = `tick-${next / 60_000}`;
    const job = await waitFor('the scheduled job completes', async () => {
      const j = await c.api.get<Job>(jobs, 'default', jobName);
      return j?.status?.conditions?.some((x) => x.type === 'Complete' && x.status === 'True') ? j : undefined;
    });
    expect(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      new Date(next).toISOString().replace('.000', ''),
    );
    const cj = await waitFor('lastSuccessfulTime', async () => {
      const x = await c.api.get<CronJob>(cronjobs, 'default', 'tick');
      return x?.status?.lastSuccessfulTime && !x.status.active ? x : undefined;
    });
    expect(cj.status?.lastScheduleTime).toBe(new Date(next).toISOString().replace('.000', ''));
    // LAST SCHEDULE is set; the server's own clock is behind the controllers', so it may print <invalid>.
    expect(await ok('get', 'cronjob', 'tick')).toMatch(
      /tick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+(\d+s|<invalid>)\s+\d+s/,
    );
    const events = await ok('get', 'events', '--field-selector', 'involvedObject.name=tick');
    expect(events).toContain(`Created job ${jobName}`);
    expect(events).toContain(`Saw completed job: ${jobName}, condition: Complete`);

    await ok('patch', 'cronjob', 'tick', '-p', '{"spec":{"suspend":true}}');
    expect(await ok('get', 'cronjob', 'tick')).toMatch(/tick\s+\S+ \S+ \S+ \S+ \S+\s+<none>\s+True\s+0/);
  });

  it('creates a job from the cronjob with kubectl create job --from', async () => {
    expect(await ok('create', 'job', 'by-hand', '--from=cronjob/tick')).toContain(
      'job.batch/by-hand created',
    );
    const job = await c.api.get<Job>(jobs, 'default', 'by-hand');
    expect(job?.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(job?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'tick' });
    await waitFor('the manual job completes', async () => {
      const j = await c.api.get<Job>(jobs, 'default', 'by-hand');
      return j?.status?.succeeded === 1;
    });
  });

  it('refuses a bad schedule, time zone, policy or name with kube field errors', async () => {
    const bad = await kubectl('create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'spec.schedule: Invalid value: "61 * * * *": minute: 61 is out of range 0-59',
    );
    const manifest = (spec: string, name = 'zoned') => `apiVersion: batch/v1
kind: CronJob
metadata: {name: ${name}}
spec:
  schedule: "0 9 * * *"
  ${spec}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: busybox}]
`;
    const apply = (text: string) =>
      new Promise<Run>((resolve) => {
        const child = execFile('kubectl', ['apply', '-f', '-'], { env }, (err, stdout, stderr) =>
          resolve({ code: err ? 1 : 0, stdout, stderr }),
        );
        child.stdin?.end(text);
      });
    const zone = await apply(manifest('timeZone: Mars/Olympus'));
    expect(zone.stderr).toContain(
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    );
    const policy = await apply(manifest('concurrencyPolicy: Sometimes'));
    expect(policy.stderr).toContain(
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    );
    const long = await apply(manifest('timeZone: Europe/Berlin', 'x'.repeat(53)));
    expect(long.stderr).toContain('must be no more than 52 characters');
    const good = await apply(manifest('timeZone: Europe/Berlin'));
    expect(good.code, good.stderr).toBe(0);
    expect(await ok('get', 'cronjob', 'zoned')).toMatch(/zoned\s+0 9 \* \* \*\s+Europe\/Berlin\s+False/);
  });
});
