import type { UntypedObject } from '../../kube/index.js';
import { isRecord } from './validation.js';

/**
 * autoscaling/v1 ↔ autoscaling/v2 HorizontalPodAutoscaler, as k8s.io/kubernetes
 * pkg/apis/autoscaling/v1/conversion.go: v1 carries a cpu Utilization target in
 * `targetCPUUtilizationPercentage` (and the current one in `currentCPUUtilizationPercentage`);
 * everything else v2 can say rides in `autoscaling.alpha.kubernetes.io/*` annotations, so a v2
 * object read and written back through v1 loses nothing. The annotations hold v2 JSON.
 */

const V1 = 'autoscaling/v1';
const V2 = 'autoscaling/v2';
const METRICS = 'autoscaling.alpha.kubernetes.io/metrics';
const CURRENT_METRICS = 'autoscaling.alpha.kubernetes.io/current-metrics';
const CONDITIONS = 'autoscaling.alpha.kubernetes.io/conditions';
const BEHAVIOR = 'autoscaling.alpha.kubernetes.io/behavior';
const ALL = [METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR];

type Rec = Record<string, unknown>;

function isCpuUtilization(m: unknown): boolean {
  if (!isRecord(m) || m.type !== 'Resource' || !isRecord(m.resource)) return false;
  const target = m.resource.target;
  return m.resource.name === 'cpu' && isRecord(target) && target.type === 'Utilization';
}

function parseList(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/**
 * Keys with their first letter lowered, recursively: kube-apiserver writes the behavior annotation
 * from its internal type, which has no JSON tags (`{"ScaleUp":{"StabilizationWindowSeconds":...}}`),
 * so both spellings are read; it is written in v2's.
 */
function camelKeys(v: unknown, depth = 0): unknown {
  if (depth > 8) return v;
  if (Array.isArray(v)) return v.map((x) => camelKeys(x, depth + 1));
  if (!isRecord(v)) return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k.charAt(0).toLowerCase() + k.slice(1), camelKeys(x, depth + 1)]),
  );
}

function parseRecord(text: string | undefined): Rec | undefined {
  if (text === undefined) return undefined;
  try {
    const v = camelKeys(JSON.parse(text) as unknown);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A stored (v2) autoscaler as autoscaling/v1 serves it; other objects pass through unchanged. */
export function autoscalerToV1(obj: UntypedObject): UntypedObject {
  if (obj.apiVersion !== V2 || obj.kind !== 'HorizontalPodAutoscaler') return obj;
  const spec = (isRecord(obj.spec) ? obj.spec : {}) as Rec;
  const status = isRecord(obj.status) ? (obj.status as Rec) : undefined;
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  const metrics = Array.isArray(spec.metrics) ? spec.metrics : [];
  const cpu = metrics.find(isCpuUtilization) as { resource: { target: Rec } } | undefined;
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) annotations[METRICS] = JSON.stringify(others);
  if (isRecord(spec.behavior)) annotations[BEHAVIOR] = JSON.stringify(spec.behavior);
  const v1Spec: Rec = { scaleTargetRef: spec.scaleTargetRef };
  if (spec.minReplicas !== undefined) v1Spec.minReplicas = spec.minReplicas;
  v1Spec.maxReplicas = spec.maxReplicas;
  if (cpu) v1Spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  let v1Status: Rec | undefined;
  if (status) {
    const current = Array.isArray(status.currentMetrics) ? status.currentMetrics : [];
    const cpuNow = current.find(
      (m) => isRecord(m) && m.type === 'Resource' && isRecord(m.resource) && m.resource.name === 'cpu',
    ) as { resource: { current?: Rec } } | undefined;
    const otherNow = current.filter((m) => m !== cpuNow);
    if (otherNow.length) annotations[CURRENT_METRICS] = JSON.stringify(otherNow);
    if (Array.isArray(status.conditions) && status.conditions.length)
      annotations[CONDITIONS] = JSON.stringify(status.conditions);
    v1Status = {};
    for (const k of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas'])
      if (status[k] !== undefined) v1Status[k] = status[k];
    const util = cpuNow?.resource.current?.averageUtilization;
    if (util !== undefined) v1Status.currentCPUUtilizationPercentage = util;
  }
  const metadata = { ...obj.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return {
    ...obj,
    apiVersion: V1,
    metadata,
    spec: v1Spec,
    ...(v1Status ? { status: v1Status } : {}),
  };
}

/** An autoscaling/v1 autoscaler as it is stored (v2), its alpha annotations folded back in. */
export function autoscalerToV2(obj: UntypedObject): UntypedObject {
  if (obj.apiVersion !== V1 || obj.kind !== 'HorizontalPodAutoscaler') return obj;
  const spec = (isRecord(obj.spec) ? obj.spec : {}) as Rec;
  const status = isRecord(obj.status) ? (obj.status as Rec) : undefined;
  const annotations: Record<string, string> = { ...(obj.metadata?.annotations ?? {}) };
  const metrics: unknown[] = [];
  if (spec.targetCPUUtilizationPercentage !== undefined && spec.targetCPUUtilizationPercentage !== null)
    metrics.push({
      type: 'Resource',
      resource: {
        name: 'cpu',
        target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage },
      },
    });
  metrics.push(...parseList(annotations[METRICS]));
  const behavior = parseRecord(annotations[BEHAVIOR]);
  const v2Spec: Rec = { scaleTargetRef: spec.scaleTargetRef };
  if (spec.minReplicas !== undefined) v2Spec.minReplicas = spec.minReplicas;
  v2Spec.maxReplicas = spec.maxReplicas;
  if (metrics.length) v2Spec.metrics = metrics;
  if (behavior) v2Spec.behavior = behavior;
  let v2Status: Rec | undefined;
  if (status) {
    const current: unknown[] = [];
    if (typeof status.currentCPUUtilizationPercentage === 'number')
      current.push({
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } },
      });
    current.push(...parseList(annotations[CURRENT_METRICS]));
    v2Status = {};
    for (const k of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas'])
      if (status[k] !== undefined) v2Status[k] = status[k];
    if (current.length) v2Status.currentMetrics = current;
    const conditions = parseList(annotations[CONDITIONS]);
    if (conditions.length) v2Status.conditions = conditions;
  }
  for (const a of ALL) delete annotations[a];
  const metadata = { ...obj.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  return {
    ...obj,
    apiVersion: V2,
    metadata,
    spec: v2Spec,
    ...(v2Status ? { status: v2Status } : {}),
  };
}
