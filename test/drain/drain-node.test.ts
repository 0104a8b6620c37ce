import { describe, expect, it } from 'vitest';
import { resources } from '../../src/client/types.js';
import { cordonNode, DrainError, drainNode } from '../../src/drain/index.js';
import { RecordingEvents } from '../../src/events.js';
import type { DaemonSet, Node, Pod } from '../../src/kube/index.js';
import { isReadyPod, useControlCluster } from '../support/control-cluster.js';
import { makeDeployment } from '../support/k8s-objects.js';
import { waitFor } from '../support/sim-nodes.js';

/** Follows pods labelled `app=<app>` through one watch and keeps the lowest count of Ready ones seen. */
function countAvailable(fixture: ReturnType<typeof useControlCluster>, app: string) {
  const abort = new AbortController();
  const pods = new Map<string, Pod>();
  let min = Number.POSITIVE_INFINITY;
  let events = 0;
  const ready = () => [...pods.values()].filter(isReadyPod).length;
  const done = (async () => {
    const list = await fixture.c.client.list<Pod>(resources.pods, { labelSelector: { app } });
    for (const p of list.items) pods.set(p.metadata.name ?? '', p);
    min = ready();
    for await (const ev of fixture.c.client.watch<Pod>(resources.pods, {
      labelSelector: { app },
      resourceVersion: list.metadata?.resourceVersion,
      signal: abort.signal,
    })) {
      if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
      events++;
      if (ev.type === 'DELETED') pods.delete(ev.object.metadata.name ?? '');
      else pods.set(ev.object.metadata.name ?? '', ev.object);
      min = Math.min(min, ready());
    }
  })();
  return {
    async stop() {
      abort.abort();
      await done;
      return { min, events };
    },
  };
}

// The drain library against a real API server (TLS) with the controllers, simulated nodes and a
// PodDisruptionBudget: every eviction goes through the Eviction API, so the budget holds.
describe('drainNode', () => {
  const fixture = useControlCluster();
  const node = (name: string) => fixture.c.client.get<Node>(resources.nodes, name);

  it('evicts a Deployment off a node one budgeted pod at a time, never below minAvailable', async () => {
    const { c } = fixture;
    // All three web pods on node-0: node-1 and node-2 cordoned while they are placed.
    await cordonNode(c.client, 'node-1', true);
    await cordonNode(c.client, 'node-2', true);
    await c.client.create(resources.deployments, makeDeployment('upg-web', 3));
    await waitFor('3 web pods ready on node-0', async () => {
      const ps = (await fixture.pods('upg-web-')).filter(isReadyPod);
      return ps.length === 3 && ps.every((p) => p.spec.nodeName === 'node-0');
    });
    const ds: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'upg-agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'upg-agent' } },
        template: {
          metadata: { labels: { app: 'upg-agent' } },
          spec: { containers: [{ name: 'c', image: 'busybox:a' }] },
        },
      },
    };
    await c.client.create(resources.daemonSets, ds);
    const bare: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'upg-bare', namespace: 'default' },
      spec: { nodeName: 'node-0', containers: [{ name: 'c', image: 'busybox:a' }] },
    };
    await c.client.create(resources.pods, bare);
    await waitFor('daemon pod on node-0', async () =>
      (await fixture.pods('upg-agent-')).some((p) => p.spec.nodeName === 'node-0' && isReadyPod(p)),
    );
    await cordonNode(c.client, 'node-1', false);
    await cordonNode(c.client, 'node-2', false);
    await c.client.create(resources.podDisruptionBudgets, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'upg-web', namespace: 'default' },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'upg-web' } } },
    });
    await waitFor('budget counted', async () => {
      const pdb = await c.client.get<{ status?: { disruptionsAllowed?: number } } & Pod>(
        resources.podDisruptionBudgets,
        'upg-web',
        'default',
      );
      return pdb.status?.disruptionsAllowed === 1;
    });

    // Refused before anything changes: a bare pod and a DaemonSet pod need flags, as in kubectl.
    const refused = await drainNode(c.client, 'node-0').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DrainError);
    expect((refused as DrainError).exitCode).toBe(2);
    expect((refused as Error).message).toContain(
      'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/upg-agent-',
    );
    expect((refused as Error).message).toContain(
      'cannot delete Pods declare no controller (use --force to override): default/upg-bare',
    );
    expect((await node('node-0')).spec?.unschedulable).toBeFalsy();

    const watch = countAvailable(fixture, 'upg-web');
    const events = new RecordingEvents();
    let result: Awaited<ReturnType<typeof drainNode>>;
    try {
      result = await drainNode(c.client, 'node-0', {
        ignoreDaemonSets: true,
        force: true,
        timeoutMs: 60_000,
        retryMs: 200,
        events,
      });
    } finally {
      await new Promise((r) => setTimeout(r, 300));
    }
    const seen = await watch.stop();
    expect(seen.events).toBeGreaterThan(0);
    // Three pods, one disruption allowed at a time: never fewer than minAvailable Ready.
    expect(seen.min).toBeGreaterThanOrEqual(2);
    expect(result.evicted.filter((k) => k.startsWith('default/upg-web-'))).toHaveLength(3);
    expect(result.evicted).toContain('default/upg-bare');
    expect(result.skipped.some((k) => k.startsWith('default/upg-agent-'))).toBe(true);
    // The budget said no at least twice (the 2nd and 3rd pods waited for replacements).
    expect(result.budgetRetries).toBeGreaterThanOrEqual(2);
    expect(
      events.events.some((e) => e.code === 'drain.retry' && e.message.includes('disruption budget')),
    ).toBe(true);
    expect(
      events.events.some(
        (e) => e.message === `ignoring DaemonSet-managed Pods: ${result.skipped.join(', ')}`,
      ),
    ).toBe(true);

    expect((await node('node-0')).spec?.unschedulable).toBe(true);
    const left = (await fixture.pods('upg-')).filter(
      (p) => p.spec.nodeName === 'node-0' && !p.metadata.deletionTimestamp,
    );
    expect(left.map((p) => p.metadata.name)).toEqual([expect.stringMatching(/^upg-agent-/)]);
    const web = await waitFor('3 web pods ready elsewhere', async () => {
      const ps = (await fixture.pods('upg-web-')).filter(isReadyPod);
      return ps.length === 3 ? ps : undefined;
    });
    expect(web.every((p) => p.spec.nodeName !== 'node-0')).toBe(true);

    await cordonNode(c.client, 'node-0', false);
    expect((await node('node-0')).spec?.unschedulable).toBeFalsy();
  });

  it('gives up at the timeout when the budget never allows a disruption, leaving the pod and the cordon', async () => {
    const { c } = fixture;
    await c.client.create(resources.deployments, makeDeployment('upg-strict', 1));
    const pod = await waitFor('strict pod ready', async () =>
      (await fixture.pods('upg-strict-')).find(isReadyPod),
    );
    await c.client.create(resources.podDisruptionBudgets, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'upg-strict', namespace: 'default' },
      spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'upg-strict' } } },
    });
    await waitFor('strict budget counted', async () => {
      const pdb = await c.client.get<{ status?: { expectedPods?: number } } & Pod>(
        resources.podDisruptionBudgets,
        'upg-strict',
        'default',
      );
      return pdb.status?.expectedPods === 1;
    });
    const target = pod.spec.nodeName ?? '';
    const err = await drainNode(c.client, target, {
      ignoreDaemonSets: true,
      force: true,
      timeoutMs: 2_000,
      retryMs: 200,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrainError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `drain of ${target} timed out evicting pod default/upg-strict-.*: Cannot evict pod as it would violate the pod's disruption budget\\.`,
      ),
    );
    const still = await c.client.get<Pod>(resources.pods, pod.metadata.name ?? '', 'default');
    expect(still.metadata.deletionTimestamp).toBeUndefined();
    expect((await node(target)).spec?.unschedulable).toBe(true);
    await cordonNode(c.client, target, false);
  });
});
