import type { Pod } from '../../kube/index.js';
import { getCondition } from '../machinery/objects.js';

/**
 * The replica calculator of kube's horizontal pod autoscaler (pkg/controller/podautoscaler
 * replica_calculator.go), for resource metrics: pure functions of the pods, their metrics and
 * the clock. Values are in milli-units (millicores, millibytes), as upstream's MilliValue.
 */

/** `--horizontal-pod-autoscaler-tolerance`: ratios within 10% of 1 change nothing. */
export const tolerance = 0.1;
/** `--horizontal-pod-autoscaler-cpu-initialization-period`. */
export const cpuInitializationPeriodMs = 5 * 60_000;
/** `--horizontal-pod-autoscaler-initial-readiness-delay`. */
export const initialReadinessDelayMs = 30_000;

/** One pod's usage of the resource, when it was measured and over what window. */
export interface PodMetric {
  readonly value: number;
  readonly timestamp: number;
  readonly windowMs: number;
}

/** What a calculation found: the proposal, and the current usage for the HPA's status. */
export interface ReplicaProposal {
  readonly replicas: number;
  /** Utilization in percent of requests (Utilization targets only). */
  readonly utilization?: number;
  /** Average usage per pod, milli-units. */
  readonly rawAverage: number;
}

interface Grouped {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/**
 * `groupPods`: deleted, failed and pending pods are ignored; pods without a sample are missing;
 * for cpu, a pod not yet ready, or still starting and measured before it became ready, is unready.
 */
function groupPods(
  pods: readonly Pod[],
  metrics: Map<string, PodMetric>,
  resource: string,
  now: number,
): Grouped {
  const g: Grouped = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    const phase = pod.status?.phase;
    if (pod.metadata.deletionTimestamp || phase === 'Failed' || phase === 'Pending' || phase === undefined) {
      g.ignored.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = getCondition(pod.status?.conditions, 'Ready');
      const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : Number.NaN;
      const transition = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : Number.NaN;
      let unready: boolean;
      if (!ready || Number.isNaN(start)) unready = true;
      else if (start + cpuInitializationPeriodMs > now)
        unready = ready.status === 'False' || metric.timestamp < (transition || 0) + metric.windowMs;
      else unready = ready.status === 'False' && start + initialReadinessDelayMs > (transition || 0);
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyCount++;
  }
  return g;
}

/**
 * `calculatePodRequests`: each pod's request of the resource, summed over its containers (milli);
 * a container without one makes utilization impossible.
 */
export function podRequests(
  pods: readonly Pod[],
  resource: string,
  parse: (q: string | number) => number,
  container?: string,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container !== undefined && c.name !== container) continue;
      const q = c.resources?.requests?.[resource];
      if (q === undefined)
        throw new Error(
          `missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name ?? ''}`,
        );
      sum += parse(q);
    }
    out.set(pod.metadata.name ?? '', sum);
  }
  return out;
}

function utilizationRatio(metrics: Map<string, PodMetric>, requests: Map<string, number>, target: number) {
  let used = 0;
  let requested = 0;
  let n = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    used += m.value;
    requested += r;
    n++;
  }
  if (requested === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((used * 100) / requested);
  return { ratio: utilization / target, utilization, rawAverage: Math.trunc(used / n) };
}

function plainRatio(metrics: Map<string, PodMetric>, target: number) {
  let used = 0;
  for (const m of metrics.values()) used += m.value;
  const average = used / metrics.size;
  return { ratio: average / target, rawAverage: Math.trunc(average) };
}

/**
 * The shared tail of GetResourceReplicas and calcPlainMetricReplicas: within tolerance nothing
 * changes; otherwise missing pods count as at the target in the direction of a scale-down and as
 * idle for a scale-up, unready pods as idle for a scale-up, and a recount that flips the direction
 * or lands in tolerance keeps the current count.
 */
function propose(
  currentReplicas: number,
  g: Grouped,
  metrics: Map<string, PodMetric>,
  ratioOf: (m: Map<string, PodMetric>) => number,
  fallback: (pod: string) => number,
): number {
  const ratio = ratioOf(metrics);
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - ratio) <= tolerance) return currentReplicas;
    return Math.ceil(ratio * g.readyCount);
  }
  const filled = new Map(metrics);
  for (const pod of g.missing) {
    if (ratio < 1) filled.set(pod, { value: fallback(pod), timestamp: 0, windowMs: 0 });
    else if (ratio > 1) filled.set(pod, { value: 0, timestamp: 0, windowMs: 0 });
  }
  if (scaleUpWithUnready)
    for (const pod of g.unready) filled.set(pod, { value: 0, timestamp: 0, windowMs: 0 });
  const next = ratioOf(filled);
  if (Math.abs(1 - next) <= tolerance || (ratio < 1 && next > 1) || (ratio > 1 && next < 1))
    return currentReplicas;
  const replicas = Math.ceil(next * filled.size);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas))
    return currentReplicas;
  return replicas;
}

function usable(pods: readonly Pod[], metrics: Map<string, PodMetric>, resource: string, now: number) {
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const g = groupPods(pods, metrics, resource, now);
  const kept = new Map([...metrics].filter(([name]) => !g.ignored.has(name) && !g.unready.has(name)));
  // Samples of pods outside the selection (another workload's) do not count either.
  const known = new Set(pods.map((p) => p.metadata.name ?? ''));
  for (const name of kept.keys()) if (!known.has(name)) kept.delete(name);
  if (kept.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  return { g, kept };
}

/** `GetResourceReplicas`: a Utilization target, in percent of the pods' requests. */
export function resourceUtilizationReplicas(
  currentReplicas: number,
  targetUtilization: number,
  resource: string,
  pods: readonly Pod[],
  metrics: Map<string, PodMetric>,
  requests: Map<string, number>,
  now: number,
): ReplicaProposal {
  const { g, kept } = usable(pods, metrics, resource, now);
  const first = utilizationRatio(kept, requests, targetUtilization);
  const fallbackPercent = Math.max(100, targetUtilization);
  const replicas = propose(
    currentReplicas,
    g,
    kept,
    (m) => utilizationRatio(m, requests, targetUtilization).ratio,
    (pod) => Math.trunc(((requests.get(pod) ?? 0) * fallbackPercent) / 100),
  );
  return { replicas, utilization: first.utilization, rawAverage: first.rawAverage };
}

/** `GetRawResourceReplicas`: an AverageValue target, milli-units per pod. */
export function resourceAverageValueReplicas(
  currentReplicas: number,
  targetAverage: number,
  resource: string,
  pods: readonly Pod[],
  metrics: Map<string, PodMetric>,
  now: number,
): ReplicaProposal {
  const { g, kept } = usable(pods, metrics, resource, now);
  const first = plainRatio(kept, targetAverage);
  const replicas = propose(
    currentReplicas,
    g,
    kept,
    (m) => plainRatio(m, targetAverage).ratio,
    () => targetAverage,
  );
  return { replicas, rawAverage: first.rawAverage };
}
