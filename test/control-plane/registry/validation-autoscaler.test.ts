import { describe, expect, it } from 'vitest';
import { autoscalerToV1, autoscalerToV2 } from '../../../src/control-plane/registry/autoscaler-conversion.js';
import {
  horizontalpodautoscalers,
  horizontalpodautoscalersV1,
} from '../../../src/control-plane/registry/autoscalers.js';
import { getPath } from '../../../src/control-plane/registry/validation.js';
import type { UntypedObject } from '../../../src/kube/index.js';

// HorizontalPodAutoscaler (autoscaling/v2, and v1 converted) defaulted and validated as
// kube-apiserver does, printed as kubectl's HPA table.

const hpa = (spec: Record<string, unknown>, status?: Record<string, unknown>): UntypedObject => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-12-02T11:00:00Z' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    maxReplicas: 5,
    ...spec,
  },
  ...(status ? { status } : {}),
});

function problems(obj: UntypedObject, def = horizontalpodautoscalers): string[] {
  def.defaults?.(obj);
  return (def.validate?.(obj) ?? []).map((c) => `${c.field}: ${c.message}`);
}

const cpu = (averageUtilization: number) => ({
  type: 'Resource',
  resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization } },
});

describe('HorizontalPodAutoscaler defaults and validation', () => {
  it('defaults minReplicas to 1 and the metric to cpu at 80%, and fills a given behavior', () => {
    const obj = hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } });
    expect(problems(obj)).toEqual([]);
    expect(obj.spec).toMatchObject({ minReplicas: 1, metrics: [cpu(80)] });
    expect((obj.spec as Record<string, unknown>).behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: {
        stabilizationWindowSeconds: 30,
        selectPolicy: 'Max',
        policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
      },
    });
    const plain = hpa({});
    problems(plain);
    expect((plain.spec as Record<string, unknown>).behavior).toBeUndefined();
  });

  it('refuses bad replica bounds and a reference without kind or name, in upstream words', () => {
    expect(problems(hpa({ minReplicas: 0 }))).toContain(
      'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1',
    );
    expect(problems(hpa({ minReplicas: 6 }))).toContain(
      'spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`',
    );
    expect(problems(hpa({ maxReplicas: 0 }))).toContain(
      'spec.maxReplicas: Invalid value: 0: must be greater than 0',
    );
    expect(problems(hpa({ scaleTargetRef: { kind: '', name: 'a/b' } }))).toEqual([
      'spec.scaleTargetRef.kind: Required value',
      `spec.scaleTargetRef.name: Invalid value: "a/b": may not contain '/' or '%' and may not be '.' or '..'`,
    ]);
  });

  it('refuses malformed metric specs', () => {
    const bad = (metric: unknown) => problems(hpa({ metrics: [metric] }));
    expect(bad({ type: 'Resource' })).toEqual([
      'spec.metrics[0].resource: Required value: must populate information for the given metric source',
    ]);
    expect(bad({ type: 'Nope' })[0]).toMatch(/^spec.metrics\[0\].type: Unsupported value: "Nope"/);
    expect(bad({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } })).toEqual([
      'spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization',
    ]);
    expect(bad(cpu(0))).toEqual([
      'spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0',
    ]);
    expect(
      bad({
        type: 'Resource',
        resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '-1Mi' } },
      }),
    ).toEqual(['spec.metrics[0].resource.target.averageValue: Invalid value: "-1Mi": must be positive']);
    expect(bad({ type: 'Pods', resource: cpu(50).resource })).toContain(
      'spec.metrics[0]: Invalid value: "Pods": must populate the given metric source only',
    );
  });

  it('refuses behavior policies out of bounds', () => {
    const out = problems(
      hpa({
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 3601, selectPolicy: 'Most', policies: [] },
          scaleDown: { policies: [{ type: 'Pods', value: 0, periodSeconds: 1801 }] },
        },
      }),
    );
    expect(out).toEqual([
      'spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be less than or equal to 3600',
      'spec.behavior.scaleUp.selectPolicy: Unsupported value: "Most": supported values: "Disabled", "Max", "Min"',
      'spec.behavior.scaleUp.policies: Required value: must specify at least one Policy',
      'spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero',
      'spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800',
    ]);
  });
});

describe('HorizontalPodAutoscaler table', () => {
  it('prints REFERENCE, TARGETS with current/target, MINPODS, MAXPODS and REPLICAS', () => {
    const obj = hpa(
      {
        minReplicas: 2,
        metrics: [
          cpu(50),
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } },
          },
        ],
      },
      {
        currentReplicas: 3,
        desiredReplicas: 3,
        currentMetrics: [
          { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 40 } } },
        ],
      },
    );
    const cells = horizontalpodautoscalers.cells(obj, new Date('2026-12-02T11:00:30Z'));
    expect(cells).toEqual([
      'web',
      'Deployment/web',
      'cpu: 40%/50%, memory: <unknown>/100Mi',
      '2',
      5,
      3,
      '30s',
    ]);
    const many = hpa({ metrics: [cpu(1), cpu(2), cpu(3), cpu(4), cpu(5)] });
    expect(horizontalpodautoscalers.cells(many, new Date())[2]).toBe(
      'cpu: <unknown>/1%, cpu: <unknown>/2%, cpu: <unknown>/3% + 2 more...',
    );
  });
});

describe('autoscaling/v1 conversion', () => {
  it('round-trips a v2 object through v1 without loss, cpu in the v1 fields and the rest in annotations', () => {
    const v2 = hpa(
      {
        minReplicas: 2,
        metrics: [
          cpu(50),
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } },
          },
        ],
        behavior: {
          scaleDown: {
            stabilizationWindowSeconds: 10,
            selectPolicy: 'Max',
            policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }],
          },
        },
      },
      {
        currentReplicas: 2,
        desiredReplicas: 3,
        lastScaleTime: '2026-12-02T11:00:00Z',
        currentMetrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', current: { averageUtilization: 70, averageValue: '140m' } },
          },
          { type: 'Resource', resource: { name: 'memory', current: { averageValue: '50Mi' } } },
        ],
        conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' }],
      },
    );
    const v1 = autoscalerToV1(v2);
    expect(v1.apiVersion).toBe('autoscaling/v1');
    expect(v1.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 5,
      targetCPUUtilizationPercentage: 50,
    });
    expect(v1.status).toEqual({
      currentReplicas: 2,
      desiredReplicas: 3,
      lastScaleTime: '2026-12-02T11:00:00Z',
      currentCPUUtilizationPercentage: 70,
    });
    expect(Object.keys(v1.metadata?.annotations ?? {}).sort()).toEqual([
      'autoscaling.alpha.kubernetes.io/behavior',
      'autoscaling.alpha.kubernetes.io/conditions',
      'autoscaling.alpha.kubernetes.io/current-metrics',
      'autoscaling.alpha.kubernetes.io/metrics',
    ]);
    const back = autoscalerToV2(v1);
    expect(back.metadata?.annotations).toBeUndefined();
    expect(back.spec).toEqual(v2.spec);
    // v1 keeps only the utilization of cpu: its averageValue is not carried.
    expect((back.status as Record<string, unknown>).currentMetrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70 } } },
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '50Mi' } } },
    ]);
  });

  it('validates a v1 object as the v2 object it becomes', () => {
    const v1: UntypedObject = {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        maxReplicas: 3,
        targetCPUUtilizationPercentage: 0,
      },
    };
    expect(problems(v1, horizontalpodautoscalersV1)).toEqual([
      'spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0',
    ]);
    expect(v1.spec).toMatchObject({ minReplicas: 1 });
    const stored = horizontalpodautoscalersV1.conversion?.toStored({
      ...v1,
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3 },
    });
    expect(stored?.spec).toMatchObject({ minReplicas: 1, metrics: [cpu(80)] });
  });
});

describe('autoscaling/v1 behavior annotation', () => {
  it('validates a behavior carried in the annotation after v2 defaulting, and refuses a bad one', () => {
    const v1 = (behavior: unknown): UntypedObject => ({
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: {
        name: 'web',
        namespace: 'default',
        annotations: { 'autoscaling.alpha.kubernetes.io/behavior': JSON.stringify(behavior) },
      },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3 },
    });
    const partial = v1({ scaleDown: { stabilizationWindowSeconds: 5 } });
    expect(problems(partial, horizontalpodautoscalersV1)).toEqual([]);
    // Validation left the v1 object as it was.
    expect(partial.spec).toEqual({
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      maxReplicas: 3,
      minReplicas: 1,
    });
    // kube-apiserver's own spelling (its internal type has no JSON tags) is read too.
    const upstream = v1({ ScaleDown: { StabilizationWindowSeconds: 7, SelectPolicy: 'Min' } });
    expect(problems(upstream, horizontalpodautoscalersV1)).toEqual([]);
    const stored = horizontalpodautoscalersV1.conversion?.toStored(upstream) ?? {};
    expect(getPath(stored, ['spec', 'behavior', 'scaleDown'])).toMatchObject({
      stabilizationWindowSeconds: 7,
      selectPolicy: 'Min',
    });
    expect(problems(v1({ scaleUp: { stabilizationWindowSeconds: -1 } }), horizontalpodautoscalersV1)).toEqual(
      [
        'spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: -1: must be greater than or equal to zero',
      ],
    );
  });
});
