import { afterEach, describe, expect, it } from 'vitest';
import { statusError } from '../../../src/client/api-error.js';
import { type ControlLoops, startControllers } from '../../../src/control-plane/controllers/start.js';
import { WorkQueue } from '../../../src/control-plane/controllers/work-queue.js';
import { Informer } from '../../../src/control-plane/machinery/informer.js';
import { resourceTypes } from '../../../src/control-plane/machinery/resources.js';
import type { Deployment, KubeObject, Node, Pod } from '../../../src/kube/index.js';
import { makeDeployment } from '../../support/k8s-objects.js';
import { MemoryApi } from '../../support/memory-api.js';
import { SimNodes, waitFor } from '../../support/sim-nodes.js';

describe('WorkQueue', () => {
  it('de-duplicates keys and re-queues a key added while it is processed', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    const k = await q.get();
    q.add('a');
    expect(q.length).toBe(1);
    q.done(k!);
    expect(q.length).toBe(2);
    q.shutdown();
  });

  it('retries failing keys with growing delays', async () => {
    const q = new WorkQueue({ baseDelayMs: 20 });
    q.addRateLimited('x');
    expect(q.length).toBe(0);
    expect(await q.get()).toBe('x');
    q.shutdown();
    expect(await q.get()).toBeUndefined();
  });

  it('jitters the per-key backoff and caps the overall retry rate with a token bucket', () => {
    const q = new WorkQueue({ baseDelayMs: 100, jitter: 0.5, random: () => 0.5 });
    // 100 ms doubled per failure, stretched by a quarter (half the jitter range).
    expect(q.addRateLimited('a')).toBe(125);
    expect(q.addRateLimited('a')).toBe(250);
    expect(q.failureCount('a')).toBe(2);
    q.forget('a');
    expect(q.failureCount('a')).toBe(0);
    q.shutdown();
    const bucket = new WorkQueue({ baseDelayMs: 1, jitter: 0, retriesPerSecond: 10, retryBurst: 2 });
    expect(bucket.addRateLimited('x')).toBe(1);
    expect(bucket.addRateLimited('y')).toBe(1);
    // The burst is spent: a third key waits for a token (100 ms at 10/s), not its own 1 ms.
    expect(bucket.addRateLimited('z')).toBeGreaterThanOrEqual(90);
    bucket.shutdown();
  });
});

describe('Informer', () => {
  it('lists, follows the watch, re-watches after the stream ends and relists after 410 Gone', async () => {
    const api = new MemoryApi();
    const cm = resourceTypes.pods;
    await api.create(cm, { metadata: { name: 'one', namespace: 'default' } } as KubeObject);
    const inf = new Informer<KubeObject>(api, cm, { retryDelayMs: 10 });
    const seen: string[] = [];
    inf.addHandlers({
      onAdd: (o) => seen.push(`add ${o.metadata.name}`),
      onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
    });
    await inf.start();
    await api.create(cm, { metadata: { name: 'two', namespace: 'default' } } as KubeObject);
    await waitFor('two', async () => inf.get('default/two'));
    api.closeWatches();
    await api.create(cm, { metadata: { name: 'three', namespace: 'default' } } as KubeObject);
    await waitFor('three after re-watch', async () => inf.get('default/three'));
    api.compacted = Number.MAX_SAFE_INTEGER;
    api.closeWatches(statusError(410, 'Expired', 'too old'));
    await api.delete(cm, 'default', 'one');
    api.compacted = 0;
    await waitFor('relist drops one', async () => !inf.get('default/one'));
    expect(seen).toEqual(['add one', 'add two', 'add three', 'delete one']);
    expect(api.calls.filter((c) => c === 'list pods').length).toBe(2);
    inf.stop();
  });
});

describe('control loops on the in-memory API', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function cluster(nodes: number, opts: Parameters<typeof startControllers>[0]['controllers'] = {}) {
    const api = new MemoryApi();
    const sim = new SimNodes(api, 50);
    for (let i = 0; i < nodes; i++) await sim.add(`node-${i}`, { zone: `zone-${'abc'[i % 3]}` });
    sim.start();
    cleanups.push(() => sim.stop());
    const loops = startControllers({
      api,
      leaderElection: false,
      controllers: { nodeMonitorPeriodMs: 100, ...opts },
    });
    cleanups.push(() => loops.stop());
    return { api, sim, loops };
  }

  it('runs a 3-replica Deployment spread over 3 zones and reports it available', async () => {
    const { api } = await cluster(3);
    await api.create(resourceTypes.deployments, makeDeployment('web', 3));
    const d = await waitFor('deployment available', async () => {
      const [dep] = api.items<Deployment>('deployments');
      return dep?.status?.availableReplicas === 3 ? dep : undefined;
    });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const pods = api.items<Pod>('pods');
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(3);
    const events = api.items<{ reason: string } & KubeObject>('events').map((e) => e.reason);
    expect(events).toContain('Scheduled');
    expect(events).toContain('ScalingReplicaSet');
  });

  it('replaces the pods of a node whose lease stops on the other nodes', async () => {
    const { api, sim } = await cluster(3, {
      nodeLifecycle: { nodeMonitorGracePeriodSeconds: 1, podEvictionTimeoutSeconds: 1 },
    });
    await api.create(resourceTypes.deployments, makeDeployment('web', 3));
    await waitFor(
      'available',
      async () => api.items<Deployment>('deployments')[0]?.status?.availableReplicas === 3,
    );
    const victim = api.items<Pod>('pods')[0]!.spec.nodeName!;
    sim.kill(victim);
    const node = await waitFor('node unknown', async () => {
      const n = api.items<Node>('nodes').find((x) => x.metadata.name === victim);
      return n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' ? n : undefined;
    });
    expect(node.spec?.taints?.map((t) => t.key)).toContain('node.kubernetes.io/unreachable');
    await waitFor('pods replaced elsewhere', async () => {
      const pods = api.items<Pod>('pods');
      return (
        pods.length === 3 && pods.every((p) => p.spec.nodeName !== victim && p.status?.phase === 'Running')
      );
    });
  });

  it('deletes ReplicaSets and pods in the background when their Deployment is deleted', async () => {
    const { api } = await cluster(2, { garbageCollectorPeriodMs: 200 });
    await api.create(resourceTypes.deployments, makeDeployment('web', 2));
    await waitFor('pods', async () => api.items('pods').length === 2);
    await api.delete(resourceTypes.deployments, 'default', 'web');
    await waitFor(
      'everything gone',
      async () => api.items('replicasets').length === 0 && api.items('pods').length === 0,
    );
  });

  it('hands over to a standby when the leader stops', async () => {
    const api = new MemoryApi();
    const timing = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 100 };
    const a: ControlLoops = startControllers({ api, identity: 'a', leaderElection: timing });
    await waitFor('a leads', async () => a.isLeader());
    const b = startControllers({ api, identity: 'b', leaderElection: timing });
    cleanups.push(() => b.stop());
    await new Promise((r) => setTimeout(r, 800));
    expect(b.isLeader()).toBe(false);
    await a.stop();
    await waitFor('b leads', async () => b.isLeader(), 5_000);
    const lease = api.items<{ spec: { holderIdentity: string; leaseTransitions: number } } & KubeObject>(
      'leases',
    )[0];
    expect(lease?.spec.holderIdentity).toBe('b');
    expect(lease?.spec.leaseTransitions).toBe(1);
  });
});
