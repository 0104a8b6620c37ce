import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getCondition } from '../../../src/control-plane/machinery/objects.js';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { Job } from '../../../src/kube/index.js';
import { useControlCluster } from '../../support/control-cluster.js';
import { waitFor } from '../../support/sim-nodes.js';

const { jobs } = resourceTypes;

const manifest = (name: string, spec: string, restartPolicy = 'Never') => `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
${spec}
  template:
    spec:
      restartPolicy: ${restartPolicy}
      containers: [{name: c, image: busybox}]
`;

// Job features on the real API server (validation through kubectl) with the controllers running.
describe('jobs: indexed completion, podFailurePolicy, ttlSecondsAfterFinished', () => {
  const f = useControlCluster();
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-workloads-jobs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs an Indexed job to completedIndexes 0-2, each pod carrying its index', async () => {
    f.c.sim.outcome = (p) => (p.metadata.name?.startsWith('idx-') ? 'Succeeded' : 'Running');
    await f.c.api.create(jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'idx', namespace: 'default' },
      spec: {
        completions: 3,
        parallelism: 3,
        completionMode: 'Indexed',
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      },
    } as Job);
    const job = await waitFor('idx complete', async () => {
      const j = await f.c.api.get<Job>(jobs, 'default', 'idx');
      return getCondition(j?.status?.conditions, 'Complete')?.status === 'True' ? j : undefined;
    });
    expect(job.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
    const pods = await f.pods('idx-');
    expect(
      pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort(),
    ).toEqual(['0', '1', '2']);
    expect(
      pods.every(
        (p) => p.spec.hostname === `idx-${p.metadata.labels?.['batch.kubernetes.io/job-completion-index']}`,
      ),
    ).toBe(true);
  });

  it('fails a job by its podFailurePolicy, then deletes it after ttlSecondsAfterFinished', async () => {
    f.c.sim.outcome = (p) => (p.metadata.name?.startsWith('pfp-') ? 'Failed' : 'Running');
    await f.c.api.create(jobs, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pfp', namespace: 'default' },
      spec: {
        backoffLimit: 6,
        ttlSecondsAfterFinished: 2,
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1] } }] },
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      },
    } as Job);
    const failed = await waitFor('pfp failed', async () => {
      const j = await f.c.api.get<Job>(jobs, 'default', 'pfp');
      return getCondition(j?.status?.conditions, 'Failed')?.status === 'True' ? j : undefined;
    });
    expect(getCondition(failed.status?.conditions, 'Failed')).toMatchObject({
      reason: 'PodFailurePolicy',
      message: expect.stringMatching(
        /^Container c for pod default\/pfp-\S+ failed with exit code 1 matching FailJob rule at index 0$/,
      ),
    });
    expect(failed.status?.failed).toBe(1);
    await waitFor(
      'pfp deleted by its TTL',
      async () => (await f.c.api.get<Job>(jobs, 'default', 'pfp')) === undefined,
    );
    await waitFor('its pods deleted too', async () => (await f.pods('pfp-')).length === 0);
  });

  it('refuses bad job specs with kube field errors', async () => {
    const create = async (text: string) => {
      const file = join(dir, 'job.yaml');
      writeFileSync(file, text);
      const r = await f.kubectl('create', '-f', file);
      expect(r.code).toBe(1);
      return r.stderr;
    };
    expect(await create(manifest('a', '  completionMode: Indexed\n  parallelism: 2'))).toContain(
      'spec.completions: Required value: when completion mode is Indexed',
    );
    expect(
      await create(
        manifest(
          'b',
          '  podFailurePolicy: {rules: [{action: FailJob, onExitCodes: {operator: In, values: [0]}}]}',
          'OnFailure',
        ),
      ),
    ).toMatch(
      /spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified.*spec.podFailurePolicy.rules\[0\].onExitCodes.values\[0\]: Invalid value: 0: must not be 0 for the In operator/s,
    );
    expect(await create(manifest('c', '  ttlSecondsAfterFinished: -1'))).toContain(
      'spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0',
    );
    expect(await create(manifest('d', '  completionMode: Sometimes'))).toContain(
      'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"',
    );
  });
});
