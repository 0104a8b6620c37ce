import { describe, expect, it } from 'vitest';
import { newBehaviorState } from '../../../src/control-plane/controllers/hpa-behavior.js';
import {
  type HpaSources,
  type PodMetricsItem,
  reconcileAutoscaler,
} from '../../../src/control-plane/controllers/hpa-reconcile.js';
import { compileSelector } from '../../../src/control-plane/controllers/hpa-selector.js';
import type { HorizontalPodAutoscaler, MetricSpec, Pod } from '../../../src/kube/index.js';

// kube's horizontal pod autoscaler pass on fakes and a fake clock: the replica calculation with
// its tolerance and its treatment of missing and unready pods, the behavior's stabilization and
// rate limits, and the conditions and Events that say why.

const T0 = Date.parse('2026-12-03T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function pod(
  name: string,
  opts: { cpu?: string; memory?: string; ready?: boolean; phase?: string; startedAt?: number } = {},
): Pod {
  const started = opts.startedAt ?? T0 - 3_600_000;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'x',
          resources: { requests: { cpu: opts.cpu ?? '100m', memory: opts.memory ?? '100Mi' } },
        },
      ],
    },
    status: {
      phase: (opts.phase ?? 'Running') as 'Running',
      startTime: iso(started),
      conditions: [
        {
          type: 'Ready',
          status: opts.ready === false ? 'False' : 'True',
          lastTransitionTime: iso(started + 5_000),
        },
      ],
    },
  } as Pod;
}

const usage = (name: string, cpu: string, memory = '10Mi', at = T0): PodMetricsItem => ({
  metadata: { name },
  timestamp: iso(at - 5_000),
  window: '15s',
  containers: [{ name: 'main', usage: { cpu, memory } }],
});

const cpuTarget = (averageUtilization: number): MetricSpec => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization } },
});

function hpa(spec: Partial<HorizontalPodAutoscaler['spec']> = {}): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', generation: 1 },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [cpuTarget(50)],
      ...spec,
    },
  };
}

/** A target with `replicas`, pods and metrics that the test changes between passes. */
function world(replicas: number, pods: Pod[], metrics: PodMetricsItem[]) {
  const w = {
    replicas,
    pods,
    metrics,
    selector: 'app=web',
    scaleError: undefined as Error | undefined,
    writes: [] as number[],
    sources: undefined as unknown as HpaSources,
  };
  w.sources = {
    getScale: async () => {
      if (w.scaleError) throw w.scaleError;
      return { replicas: w.replicas, selector: w.selector };
    },
    updateScale: async (n) => {
      w.writes.push(n);
      w.replicas = n;
    },
    pods: (selector) => {
      const m = compileSelector(selector);
      return w.pods.filter((p) => m(p.metadata.labels));
    },
    podMetrics: async () => w.metrics,
  };
  return w;
}

const cond = (h: { status?: HorizontalPodAutoscaler['status'] }, type: string) =>
  h.status?.conditions?.find((c) => c.type === type);

describe('horizontal pod autoscaler pass', () => {
  it('scales up by ceil(current × ratio) with the upstream event, conditions and status', async () => {
    const w = world(2, [pod('a'), pod('b')], [usage('a', '90m'), usage('b', '90m')]);
    const h = hpa();
    const r = await reconcileAutoscaler(h, w.sources, newBehaviorState(), T0);
    expect(w.writes).toEqual([4]);
    expect(r.events).toEqual([
      {
        type: 'Normal',
        reason: 'SuccessfulRescale',
        message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target',
      },
    ]);
    expect(r.status).toMatchObject({
      observedGeneration: 1,
      currentReplicas: 2,
      desiredReplicas: 4,
      lastScaleTime: '2026-12-03T10:00:00Z',
      currentMetrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '90m' } },
        },
      ],
    });
    expect(cond(r, 'AbleToScale')).toMatchObject({
      status: 'True',
      reason: 'SucceededRescale',
      message: 'the HPA controller was able to update the target scale to 4',
    });
    expect(cond(r, 'ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'ValidMetricFound',
      message:
        'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
    });
    expect(cond(r, 'ScalingLimited')).toMatchObject({ status: 'False', reason: 'DesiredWithinRange' });
  });

  it('changes nothing within the 10% tolerance', async () => {
    const w = world(2, [pod('a'), pod('b')], [usage('a', '54m'), usage('b', '54m')]);
    const r = await reconcileAutoscaler(hpa(), w.sources, newBehaviorState(), T0);
    expect(w.writes).toEqual([]);
    expect(r.events).toEqual([]);
    expect(r.status).toMatchObject({ currentReplicas: 2, desiredReplicas: 2 });
    expect(cond(r, 'AbleToScale')).toMatchObject({ reason: 'ReadyForNewScale' });
  });

  it('limits a scale-up to max(4 pods, 100%) per 15 s and to maxReplicas, saying which', async () => {
    const w = world(1, [pod('a')], [usage('a', '1000m')]);
    const state = newBehaviorState();
    const r = await reconcileAutoscaler(hpa({ maxReplicas: 50 }), w.sources, state, T0);
    expect(w.writes).toEqual([5]);
    expect(cond(r, 'ScalingLimited')).toMatchObject({
      status: 'True',
      reason: 'ScaleUpLimit',
      message: 'the desired replica count is increasing faster than the maximum scale rate',
    });
    // 5 s later the period still holds the +4: the limit is (5-4)+4 = 5 or 1×2 = 2 → no change.
    w.pods = ['a', 'b', 'c', 'd', 'e'].map((n) => pod(n));
    w.metrics = w.pods.map((p) => usage(p.metadata.name ?? '', '1000m', '10Mi', T0 + 5_000));
    await reconcileAutoscaler(hpa({ maxReplicas: 50 }), w.sources, state, T0 + 5_000);
    expect(w.writes).toEqual([5]);
    // After the period: max(5+4, 5×2) = 10.
    await reconcileAutoscaler(hpa({ maxReplicas: 50 }), w.sources, state, T0 + 16_000);
    expect(w.writes).toEqual([5, 10]);
    const capped = world(
      4,
      ['a', 'b', 'c', 'd'].map((n) => pod(n)),
      ['a', 'b', 'c', 'd'].map((n) => usage(n, '100m')),
    );
    const rc = await reconcileAutoscaler(hpa({ maxReplicas: 6 }), capped.sources, newBehaviorState(), T0);
    expect(capped.writes).toEqual([6]);
    expect(cond(rc, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'TooManyReplicas' });
  });

  it('takes the policy allowing the least change with selectPolicy Min', async () => {
    const w = world(2, [pod('a'), pod('b')], [usage('a', '500m'), usage('b', '500m')]);
    const h = hpa({
      behavior: {
        scaleUp: {
          selectPolicy: 'Min',
          policies: [
            { type: 'Pods', value: 1, periodSeconds: 60 },
            { type: 'Percent', value: 100, periodSeconds: 60 },
          ],
        },
      },
    });
    const state = newBehaviorState();
    await reconcileAutoscaler(h, w.sources, state, T0);
    expect(w.writes).toEqual([3]);
    // Within the 60 s period the +1 is spent: the limit stays at 2 + 1.
    w.pods.push(pod('c'));
    w.metrics.push(usage('c', '500m'));
    await reconcileAutoscaler(h, w.sources, state, T0 + 30_000);
    expect(w.writes).toEqual([3]);
    await reconcileAutoscaler(h, w.sources, state, T0 + 61_000);
    expect(w.writes).toEqual([3, 4]);
  });

  it('scales down only after the stabilization window, to the highest recent recommendation', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const w = world(
      4,
      names.map((n) => pod(n)),
      names.map((n) => usage(n, '50m')),
    );
    const state = newBehaviorState();
    const h = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } });
    await reconcileAutoscaler(h, w.sources, state, T0);
    expect(w.writes).toEqual([]);
    w.metrics = names.map((n) => usage(n, '10m'));
    const r = await reconcileAutoscaler(h, w.sources, state, T0 + 15_000);
    expect(w.writes).toEqual([]);
    expect(r.status.desiredReplicas).toBe(4);
    expect(cond(r, 'AbleToScale')).toMatchObject({
      reason: 'ScaleDownStabilized',
      message:
        'recent recommendations were higher than current one, applying the highest recent recommendation',
    });
    const later = await reconcileAutoscaler(h, w.sources, state, T0 + 61_000);
    expect(w.writes).toEqual([1]);
    expect(later.events[0]?.message).toBe('New size: 1; reason: All metrics below target');
  });

  it('keeps the default 300 s window without a behavior, and Disabled never scales down', async () => {
    const names = ['a', 'b'];
    const w = world(
      2,
      names.map((n) => pod(n)),
      names.map((n) => usage(n, '100m')),
    );
    const state = newBehaviorState();
    await reconcileAutoscaler(hpa({ metrics: [cpuTarget(100)] }), w.sources, state, T0);
    w.metrics = names.map((n) => usage(n, '10m'));
    await reconcileAutoscaler(hpa({ metrics: [cpuTarget(100)] }), w.sources, state, T0 + 299_000);
    expect(w.writes).toEqual([]);
    await reconcileAutoscaler(hpa({ metrics: [cpuTarget(100)] }), w.sources, state, T0 + 301_000);
    expect(w.writes).toEqual([1]);
    const d = world(
      2,
      names.map((n) => pod(n)),
      names.map((n) => usage(n, '10m')),
    );
    const off = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' } } });
    const r = await reconcileAutoscaler(off, d.sources, newBehaviorState(), T0);
    expect(d.writes).toEqual([]);
    expect(cond(r, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'ScaleDownLimit' });
  });

  it("takes the controller-wide downscale window when the behavior leaves it unset, and the object's when set", async () => {
    const names = ['a', 'b'];
    const w = world(
      2,
      names.map((n) => pod(n)),
      names.map((n) => usage(n, '100m')),
    );
    const flags = { downscaleStabilizationSeconds: 20 };
    // A behavior with only a policy: the window is the flag's (as kube's maybeInitScaleDownStabilizationWindow).
    const h = hpa({
      metrics: [cpuTarget(100)],
      behavior: { scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } },
    });
    const state = newBehaviorState();
    await reconcileAutoscaler(h, w.sources, state, T0, flags);
    w.metrics = names.map((n) => usage(n, '10m'));
    await reconcileAutoscaler(h, w.sources, state, T0 + 19_000, flags);
    expect(w.writes).toEqual([]);
    await reconcileAutoscaler(h, w.sources, state, T0 + 21_000, flags);
    expect(w.writes).toEqual([1]);
    // Without a behavior the flag applies too; a window on the object wins over it.
    const plain = world(
      2,
      names.map((n) => pod(n)),
      names.map((n) => usage(n, '100m')),
    );
    const own = hpa({
      metrics: [cpuTarget(100)],
      behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
    });
    const s1 = newBehaviorState();
    const s2 = newBehaviorState();
    const p2 = world(
      2,
      names.map((n) => pod(n)),
      names.map((n) => usage(n, '100m')),
    );
    await reconcileAutoscaler(hpa({ metrics: [cpuTarget(100)] }), plain.sources, s1, T0, flags);
    await reconcileAutoscaler(own, p2.sources, s2, T0, flags);
    plain.metrics = names.map((n) => usage(n, '10m'));
    p2.metrics = names.map((n) => usage(n, '10m'));
    await reconcileAutoscaler(hpa({ metrics: [cpuTarget(100)] }), plain.sources, s1, T0 + 21_000, flags);
    await reconcileAutoscaler(own, p2.sources, s2, T0 + 21_000, flags);
    expect(plain.writes).toEqual([1]);
    expect(p2.writes).toEqual([]);
    await reconcileAutoscaler(own, p2.sources, s2, T0 + 61_000, flags);
    expect(p2.writes).toEqual([1]);
  });

  it('counts pods without metrics as idle when scaling up and as at 100% when scaling down', async () => {
    // Two pods at 100% of a 50% target and one without a sample: (100+100+0)/300 = 66% → 4, not 6.
    const up = world(3, [pod('a'), pod('b'), pod('c')], [usage('a', '100m'), usage('b', '100m')]);
    await reconcileAutoscaler(hpa(), up.sources, newBehaviorState(), T0);
    expect(up.writes).toEqual([4]);
    // Two pods at 10% and one without a sample, target 50%: the missing one counts as 100% → 40%,
    // within reach of 1 no more: the recount keeps 3 (without it, ceil(0.2 × 2) = 1).
    const down = world(3, [pod('a'), pod('b'), pod('c')], [usage('a', '10m'), usage('b', '10m')]);
    const r = await reconcileAutoscaler(
      hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }),
      down.sources,
      newBehaviorState(),
      T0,
    );
    expect(down.writes).toEqual([]);
    expect(r.status.desiredReplicas).toBe(3);
  });

  it('ignores pending pods and counts unready cpu pods as idle for a scale-up', async () => {
    const w = world(
      3,
      [pod('a'), pod('b', { ready: false, startedAt: T0 - 10_000 }), pod('c', { phase: 'Pending' })],
      [usage('a', '200m'), usage('b', '200m')],
    );
    await reconcileAutoscaler(hpa(), w.sources, newBehaviorState(), T0);
    // a at 200% of a 50% target; b unready counts 0: (200+0)/200 = 100% → ratio 2 → ceil(2×2) = 4.
    expect(w.writes).toEqual([4]);
  });

  it('follows an AverageValue memory target', async () => {
    const w = world(2, [pod('a'), pod('b')], [usage('a', '1m', '200Mi'), usage('b', '1m', '200Mi')]);
    const r = await reconcileAutoscaler(
      hpa({
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } },
          },
        ],
      }),
      w.sources,
      newBehaviorState(),
      T0,
    );
    expect(w.writes).toEqual([4]);
    expect(r.events[0]?.message).toBe('New size: 4; reason: memory resource above target');
    expect(r.status.currentMetrics).toEqual([
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '209715200' } } },
    ]);
  });

  it('says why when metrics are missing, the target has no scale or no selector, and never rescales then', async () => {
    const none = world(2, [pod('a'), pod('b')], []);
    const h = hpa();
    const r = await reconcileAutoscaler(h, none.sources, newBehaviorState(), T0);
    expect(none.writes).toEqual([]);
    const message =
      'failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API';
    expect(r.events).toEqual([
      { type: 'Warning', reason: 'FailedGetResourceMetric', message },
      {
        type: 'Warning',
        reason: 'FailedComputeMetricsReplicas',
        message: `invalid metrics (1 invalid out of 1), first error is: ${message}`,
      },
    ]);
    expect(cond(r, 'ScalingActive')).toMatchObject({
      status: 'False',
      reason: 'FailedGetResourceMetric',
      message: `the HPA was unable to compute the replica count: ${message}`,
    });
    expect(r.status).toMatchObject({ currentReplicas: 2, desiredReplicas: 0 });

    const gpu = world(2, [pod('a'), pod('b')], [usage('a', '1m'), usage('b', '1m')]);
    const rg = await reconcileAutoscaler(
      hpa({
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'gpu', target: { type: 'AverageValue', averageValue: '1' } },
          },
        ],
      }),
      gpu.sources,
      newBehaviorState(),
      T0,
    );
    expect(cond(rg, 'ScalingActive')?.message).toContain('did not receive metrics for targeted pods');

    const noScale = world(2, [], []);
    noScale.scaleError = new Error('the server could not find the requested resource');
    const rs = await reconcileAutoscaler(h, noScale.sources, newBehaviorState(), T0);
    expect(cond(rs, 'AbleToScale')).toMatchObject({
      status: 'False',
      reason: 'FailedGetScale',
      message:
        "the HPA controller was unable to get the target's current scale: the server could not find the requested resource",
    });
    expect(rs.events).toEqual([
      {
        type: 'Warning',
        reason: 'FailedGetScale',
        message: 'the server could not find the requested resource',
      },
    ]);

    const noSelector = world(2, [], []);
    noSelector.selector = '';
    const rn = await reconcileAutoscaler(h, noSelector.sources, newBehaviorState(), T0);
    expect(cond(rn, 'ScalingActive')).toMatchObject({ status: 'False', reason: 'InvalidSelector' });
    const nothing = world(2, [], [usage('x', '5m')]);
    nothing.selector = 'app=nothing';
    const r0 = await reconcileAutoscaler(h, nothing.sources, newBehaviorState(), T0);
    expect(cond(r0, 'ScalingActive')?.message).toContain(
      'no pods returned by selector while calculating replica count',
    );
  });

  it('clamps to min and max before looking at metrics, and an absurd usage only reaches max', async () => {
    const low = world(1, [pod('a')], []);
    const r = await reconcileAutoscaler(hpa({ minReplicas: 3 }), low.sources, newBehaviorState(), T0);
    expect(low.writes).toEqual([3]);
    expect(r.events[0]?.message).toBe(
      'New size: 3; reason: Current number of replicas below Spec.MinReplicas',
    );
    const high = world(12, [], []);
    await reconcileAutoscaler(hpa(), high.sources, newBehaviorState(), T0);
    expect(high.writes).toEqual([10]);
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const absurd = world(
      8,
      names.map((n) => pod(n)),
      names.map((n) => usage(n, '9e15')),
    );
    await reconcileAutoscaler(hpa(), absurd.sources, newBehaviorState(), T0);
    expect(absurd.writes).toEqual([10]);
    const zero = world(0, [], []);
    const rz = await reconcileAutoscaler(hpa(), zero.sources, newBehaviorState(), T0);
    expect(zero.writes).toEqual([]);
    expect(cond(rz, 'ScalingActive')).toMatchObject({ status: 'False', reason: 'ScalingDisabled' });
  });
});

describe('scale selector strings', () => {
  it('matches equality, set and existence requirements and refuses what does not parse', () => {
    const m = compileSelector('app=web,tier in (a, b),!canary,env!=prod');
    expect(m({ app: 'web', tier: 'b' })).toBe(true);
    expect(m({ app: 'web', tier: 'c' })).toBe(false);
    expect(m({ app: 'web', tier: 'a', canary: '1' })).toBe(false);
    expect(m({ app: 'web', tier: 'a', env: 'prod' })).toBe(false);
    expect(() => compileSelector('app=web,=x')).toThrow();
    expect(() => compileSelector('a b c')).toThrow();
  });
});
