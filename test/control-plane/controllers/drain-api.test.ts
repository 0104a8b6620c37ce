import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/client/api-error.js';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { DaemonSet, Node, Pod, PodDisruptionBudget } from '../../../src/kube/index.js';
import { isReadyPod, useControlCluster } from '../../support/control-cluster.js';
import { makeDeployment } from '../../support/k8s-objects.js';
import { waitFor } from '../../support/sim-nodes.js';

const {
  pods: podsR,
  deployments,
  daemonsets,
  statefulsets,
  replicationcontrollers,
  nodes: nodesR,
  poddisruptionbudgets: pdbs,
} = resourceTypes;

// PodDisruptionBudgets, the eviction subresource and kubectl drain on the real API server (TLS) with
// the controllers, simulated nodes (pods become Ready as an agent reports them) and real kubectl.
describe('disruption budgets and kubectl drain', () => {
  const fixture = useControlCluster();
  const budgetStatus = async (name: string) =>
    (await fixture.c.api.get<PodDisruptionBudget>(pdbs, 'default', name))?.status;

  /** Evicts a pod through the API as kubectl drain does; resolves to the HTTP error, or undefined on success. */
  async function evict(name: string): Promise<ApiError | undefined> {
    try {
      await fixture.c.client.createSubresource(
        podsR,
        name,
        'eviction',
        { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } },
        'default',
      );
      return undefined;
    } catch (err) {
      if (err instanceof ApiError) return err;
      throw err;
    }
  }
  const node = (name: string) => fixture.c.api.get<Node>(nodesR, undefined, name);

  it('kubectl drain evicts within the budget: never fewer than minAvailable ready pods, then uncordon', async () => {
    const { kubectl } = fixture;
    // A DaemonSet pod on every node: drain must be told to leave them (they tolerate unschedulable).
    const ds: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'drain-agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'drain-agent' } },
        template: {
          metadata: { labels: { app: 'drain-agent' } },
          spec: { containers: [{ name: 'c', image: 'busybox:a' }] },
        },
      },
    };
    await fixture.c.api.create(daemonsets, ds);
    // Two of the three web pods on node-0 (node-2 cordoned while they are placed): draining node-0
    // needs two evictions, and the second must wait for the first pod's replacement to be Ready.
    expect((await kubectl('cordon', 'node-2')).code).toBe(0);
    const web = makeDeployment('drain-web', 3);
    web.spec.template.spec.volumes = [{ name: 'scratch', emptyDir: {} }];
    await fixture.c.api.create(deployments, web);
    const placed = await waitFor('3 web pods ready', async () => {
      const ps = (await fixture.pods('drain-web-')).filter(isReadyPod);
      return ps.length === 3 ? ps : undefined;
    });
    expect((await kubectl('uncordon', 'node-2')).code).toBe(0);
    const counts = new Map<string, number>();
    for (const p of placed) counts.set(p.spec.nodeName ?? '', (counts.get(p.spec.nodeName ?? '') ?? 0) + 1);
    const target = [...counts].find(([, n]) => n === 2)?.[0];
    expect(target, JSON.stringify([...counts])).toBeDefined();
    await waitFor(
      'daemon pods on 3 nodes',
      async () => (await fixture.pods('drain-agent-')).filter(isReadyPod).length === 3,
    );

    const created = await kubectl(
      'create',
      'poddisruptionbudget',
      'drain-web',
      '--selector=app=drain-web',
      '--min-available=2',
    );
    expect(created.code, created.stderr).toBe(0);
    await waitFor('budget counted', async () => (await budgetStatus('drain-web'))?.disruptionsAllowed === 1);
    const table = await kubectl('get', 'pdb', 'drain-web');
    expect(table.stdout).toMatch(/NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE/);
    expect(table.stdout).toMatch(/drain-web\s+2\s+N\/A\s+1\s+/);
    const described = await kubectl('describe', 'pdb', 'drain-web');
    expect(described.code, described.stderr).toBe(0);
    expect(described.stdout).toMatch(/Min available:\s+2/);
    expect(described.stdout).toMatch(/Allowed disruptions:\s+1/);
    expect(described.stdout).toMatch(/Current:\s+3/);

    // Without --ignore-daemonsets kubectl refuses, as upstream.
    const refused = await kubectl('drain', target!, '--delete-emptydir-data', '--timeout=20s');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('cannot delete DaemonSet-managed Pods');

    let minReady = 3;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const ready = (await fixture.pods('drain-web-').catch(() => placed)).filter(isReadyPod).length;
        minReady = Math.min(minReady, ready);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    let drained: Awaited<ReturnType<typeof kubectl>>;
    try {
      drained = await kubectl(
        'drain',
        target!,
        '--ignore-daemonsets',
        '--delete-emptydir-data',
        '--timeout=60s',
      );
    } finally {
      sampling = false;
      await sampler;
    }
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toContain(`node/${target} drained`);
    expect(drained.stderr + drained.stdout).toContain('evicting pod default/drain-web-');
    // The second eviction met the budget and was retried: the 429 reached kubectl.
    expect(drained.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(minReady).toBeGreaterThanOrEqual(2);

    expect((await node(target!))?.spec?.unschedulable).toBe(true);
    const after = await waitFor('3 web pods ready elsewhere', async () => {
      const ps = (await fixture.pods('drain-web-')).filter(isReadyPod);
      return ps.length === 3 ? ps : undefined;
    });
    expect(after.every((p) => p.spec.nodeName !== target)).toBe(true);
    // The DaemonSet pod stays on the cordoned node and is not recreated anywhere else.
    const daemons = (await fixture.pods('drain-agent-')).filter((p) => !p.metadata.deletionTimestamp);
    expect(daemons.filter((p) => p.spec.nodeName === target)).toHaveLength(1);
    expect(daemons).toHaveLength(3);

    const uncordoned = await kubectl('uncordon', target!);
    expect(uncordoned.code, uncordoned.stderr).toBe(0);
    expect((await node(target!))?.spec?.unschedulable).toBeFalsy();
  });

  it('answers 429 with a DisruptionBudget cause when no disruption is allowed, and evicts unbudgeted pods', async () => {
    const { kubectl } = fixture;
    await fixture.c.api.create(deployments, makeDeployment('strict', 2));
    const ps = await waitFor('2 strict pods ready', async () => {
      const ready = (await fixture.pods('strict-')).filter(isReadyPod);
      return ready.length === 2 ? ready : undefined;
    });
    const made = await kubectl('create', 'pdb', 'strict', '--selector=app=strict', '--max-unavailable=0');
    expect(made.code, made.stderr).toBe(0);
    await waitFor('strict counted', async () => (await budgetStatus('strict'))?.expectedPods === 2);
    const victim = ps[0]!.metadata.name!;
    const err = await evict(victim);
    expect(err?.status).toBe(429);
    expect(err?.body).toMatchObject({
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget strict needs 2 healthy pods and has 2 currently',
          },
        ],
      },
    });
    const still = await fixture.c.api.get<Pod>(podsR, 'default', victim);
    expect(still?.metadata.deletionTimestamp).toBeUndefined();
    expect((await budgetStatus('strict'))?.disruptedPods).toBeUndefined();

    // Two budgets over one pod: 500, as upstream.
    expect(
      (await kubectl('create', 'pdb', 'strict-too', '--selector=app=strict', '--min-available=0')).code,
    ).toBe(0);
    expect((await evict(victim))?.status).toBe(500);

    // A pod no budget selects goes at once.
    const lone = makeDeployment('lone', 1);
    await fixture.c.api.create(deployments, lone);
    const lonePod = await waitFor('lone ready', async () => (await fixture.pods('lone-')).find(isReadyPod));
    expect(await evict(lonePod.metadata.name!)).toBeUndefined();
    const gone = await fixture.c.api.get<Pod>(podsR, 'default', lonePod.metadata.name!);
    expect(gone === undefined || gone.metadata.deletionTimestamp !== undefined).toBe(true);
  });

  it('lets exactly one of two concurrent evictions through when one disruption is allowed', async () => {
    const { kubectl } = fixture;
    await fixture.c.api.create(deployments, makeDeployment('race', 3));
    const ps = await waitFor('3 race pods ready', async () => {
      const ready = (await fixture.pods('race-')).filter(isReadyPod);
      return ready.length === 3 ? ready : undefined;
    });
    // Stop the replacements from becoming Ready, so the budget stays at one allowed disruption.
    fixture.c.sim.outcome = (p) => (p.metadata.name?.startsWith('race-') ? 'Failed' : 'Running');
    try {
      expect((await kubectl('create', 'pdb', 'race', '--selector=app=race', '--min-available=2')).code).toBe(
        0,
      );
      await waitFor('race counted', async () => (await budgetStatus('race'))?.disruptionsAllowed === 1);
      const results = await Promise.all([evict(ps[0]!.metadata.name!), evict(ps[1]!.metadata.name!)]);
      expect(results.filter((r) => r === undefined)).toHaveLength(1);
      expect(results.filter((r) => r?.status === 429)).toHaveLength(1);
      const s = await budgetStatus('race');
      expect(Object.keys(s?.disruptedPods ?? {}).length + (s?.disruptionsAllowed ?? 0)).toBeLessThanOrEqual(
        1,
      );
    } finally {
      fixture.c.sim.outcome = () => 'Running';
    }
  });

  it('lets edit and admin (which aggregates edit) evict pods, view not', async () => {
    const { kubectl } = fixture;
    for (const [user, role] of [
      ['drain-editor', 'edit'],
      ['drain-admin', 'admin'],
      ['drain-viewer', 'view'],
    ] as const) {
      const bound = await kubectl('create', 'rolebinding', user, `--clusterrole=${role}`, `--user=${user}`);
      expect(bound.code, bound.stderr).toBe(0);
    }
    const can = (user: string) =>
      kubectl('auth', 'can-i', 'create', 'pods', '--subresource=eviction', '--as', user);
    expect(await waitFor('editor may evict', async () => (await can('drain-editor')).code === 0)).toBe(true);
    expect((await can('drain-admin')).stdout.trim()).toBe('yes');
    const viewer = await can('drain-viewer');
    expect(viewer.stdout.trim()).toBe('no');
  });

  it('resolves percentages against the scale of a StatefulSet and a ReplicationController, and follows a scale change', async () => {
    const { kubectl } = fixture;
    const labels = { app: 'pct' };
    const template = { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox:a' }] } };
    // No node matches: the pods stay Pending, so none is healthy and no disruption is allowed.
    const pending = { ...template, spec: { ...template.spec, nodeSelector: { 'tugboat.test/none': 'pct' } } };
    await fixture.c.api.create(statefulsets, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'pct-sts', namespace: 'default' },
      spec: {
        replicas: 4,
        serviceName: 'pct',
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: labels },
        template: pending,
      },
    });
    await fixture.c.api.create(replicationcontrollers, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'pct-rc', namespace: 'default' },
      spec: {
        replicas: 3,
        selector: { app: 'pct-rc' },
        template: { ...pending, metadata: { labels: { app: 'pct-rc' } } },
      },
    });
    expect(
      (await kubectl('create', 'pdb', 'pct-sts', '--selector=app=pct', '--min-available=50%')).code,
    ).toBe(0);
    expect(
      (await kubectl('create', 'pdb', 'pct-rc', '--selector=app=pct-rc', '--max-unavailable=34%')).code,
    ).toBe(0);
    const sts = await waitFor('sts budget counted', async () => {
      const s = await budgetStatus('pct-sts');
      return s?.expectedPods === 4 ? s : undefined;
    });
    expect(sts).toMatchObject({ desiredHealthy: 2, currentHealthy: 0, disruptionsAllowed: 0 });
    // 34% of 3 rounds up to 2 unavailable: 1 must stay healthy.
    const rc = await waitFor('rc budget counted', async () => {
      const s = await budgetStatus('pct-rc');
      return s?.expectedPods === 3 ? s : undefined;
    });
    expect(rc).toMatchObject({ desiredHealthy: 1, currentHealthy: 0, disruptionsAllowed: 0 });
    // Scaling the StatefulSet moves the expected count.
    await fixture.c.client.patch(
      statefulsets,
      'pct-sts',
      { spec: { replicas: 6 } },
      { namespace: 'default' },
    );
    await waitFor('sts budget recounted', async () => (await budgetStatus('pct-sts'))?.desiredHealthy === 3);
  });

  it('kubectl apply creates and changes a budget; the controller catches up with each generation', async () => {
    const { kubectl } = fixture;
    const dir = mkdtempSync(join(tmpdir(), 'tugboat-drain-apply-'));
    try {
      const file = join(dir, 'pdb.yaml');
      const manifest = (bound: string) =>
        `apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: applied\nspec:\n  ${bound}\n  selector:\n    matchLabels:\n      app: applied\n`;
      writeFileSync(file, manifest('minAvailable: 1'));
      const first = await kubectl('apply', '-f', file);
      expect(first.code, first.stderr).toBe(0);
      await waitFor(
        'generation 1 observed',
        async () => (await budgetStatus('applied'))?.observedGeneration === 1,
      );
      // Switching bounds: apply's patch removes minAvailable while it sets maxUnavailable.
      writeFileSync(file, manifest('maxUnavailable: 25%'));
      const second = await kubectl('apply', '-f', file);
      expect(second.code, second.stderr).toBe(0);
      const pdb = await fixture.c.api.get<PodDisruptionBudget>(pdbs, 'default', 'applied');
      expect(pdb?.spec).toMatchObject({ maxUnavailable: '25%' });
      expect(pdb?.spec.minAvailable).toBeUndefined();
      expect(pdb?.metadata.generation).toBe(2);
      await waitFor(
        'generation 2 observed',
        async () => (await budgetStatus('applied'))?.observedGeneration === 2,
      );
      writeFileSync(file, manifest('maxUnavailable: 1\n  minAvailable: 1'));
      const both = await kubectl('apply', '-f', file);
      expect(both.code).not.toBe(0);
      expect(both.stderr).toContain('minAvailable and maxUnavailable cannot be both set');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
