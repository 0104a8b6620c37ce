import { ApiError } from '../../client/api-error.js';
import { parseQuantity } from '../../client/quantity.js';
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus, Pod } from '../../kube/index.js';
import {
  type PodMetric,
  podRequests,
  type ReplicaProposal,
  resourceAverageValueReplicas,
  resourceUtilizationReplicas,
} from './hpa-replicas.js';

/**
 * What a horizontal pod autoscaler pass reads (`HpaSources`) and how one resource metric of its
 * spec becomes a replica proposal and a MetricStatus (computeStatusForResourceMetric and
 * computeStatusForContainerResourceMetric of kube's horizontal.go).
 */

export interface TargetScale {
  readonly replicas: number;
  readonly selector: string;
}

/** A PodMetrics item as metrics.k8s.io serves it. */
export interface PodMetricsItem {
  readonly metadata: { readonly name?: string };
  readonly timestamp?: string;
  readonly window?: string;
  readonly containers?: readonly { name: string; usage?: Record<string, string | number> }[];
}

/** What one pass reads and writes outside the HPA object. */
export interface HpaSources {
  getScale(): Promise<TargetScale>;
  updateScale(replicas: number): Promise<void>;
  /** The pods of the namespace matching a scale selector (throws on a selector that does not parse). */
  pods(selector: string): Pod[];
  podMetrics(selector: string): Promise<readonly PodMetricsItem[]>;
}

/** An Event to record on the HPA. */
export interface HpaEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface HpaPassResult {
  readonly status: NonNullable<HorizontalPodAutoscaler['status']>;
  readonly events: HpaEvent[];
}

/** A milli-unit amount as a quantity string (`250m`, `2`). */
export function milliQuantity(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

const toMilli = (q: string | number) => Math.round(parseQuantity(q) * 1000);

function parseWindowMs(w: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)s$/.exec(w ?? '');
  return m ? Number(m[1]) * 1000 : 0;
}

/** Per-pod samples of one resource (of one container when given); pods without it are left out. */
function samples(
  items: readonly PodMetricsItem[],
  resource: string,
  container?: string,
): Map<string, PodMetric> {
  const out = new Map<string, PodMetric>();
  for (const item of items) {
    const containers = (item.containers ?? []).filter((c) => container === undefined || c.name === container);
    if (containers.length === 0) continue;
    let value = 0;
    let ok = true;
    for (const c of containers) {
      const q = c.usage?.[resource];
      if (q === undefined) ok = false;
      else value += toMilli(q);
    }
    if (!ok || !item.metadata.name) continue;
    out.set(item.metadata.name, {
      value,
      timestamp: item.timestamp ? Date.parse(item.timestamp) : 0,
      windowMs: parseWindowMs(item.window),
    });
  }
  return out;
}

export interface MetricOutcome {
  readonly proposal: ReplicaProposal;
  readonly name: string;
  readonly status: MetricStatus;
}

export class MetricError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** computeStatusForResourceMetric / computeStatusForContainerResourceMetric. */
export async function resourceMetric(
  spec: MetricSpec,
  current: number,
  selector: string,
  sources: HpaSources,
  now: number,
): Promise<MetricOutcome> {
  const container = spec.type === 'ContainerResource' ? spec.containerResource?.container : undefined;
  const source = spec.type === 'ContainerResource' ? spec.containerResource : spec.resource;
  const reason =
    spec.type === 'ContainerResource' ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
  const resource = source?.name ?? '';
  const target = source?.target;
  const utilization = target?.averageUtilization;
  try {
    const items = await sources.podMetrics(selector).catch((err: unknown) => {
      throw new Error(
        `unable to get metrics for resource ${resource}: unable to fetch metrics from resource metrics API: ${errorText(err)}`,
      );
    });
    const metrics = samples(items, resource, container);
    if (items.length === 0)
      throw new Error(
        `unable to get metrics for resource ${resource}: no metrics returned from resource metrics API`,
      );
    const pods = sources.pods(selector);
    const at = (current: Record<string, unknown>): MetricStatus =>
      container !== undefined
        ? { type: 'ContainerResource', containerResource: { name: resource, container, current } }
        : { type: 'Resource', resource: { name: resource, current } };
    if (utilization !== undefined) {
      const requests = podRequests(pods, resource, toMilli, container);
      const p = resourceUtilizationReplicas(current, utilization, resource, pods, metrics, requests, now);
      return {
        proposal: p,
        name: `${resource} resource utilization (percentage of request)`,
        status: at({ averageUtilization: p.utilization, averageValue: milliQuantity(p.rawAverage) }),
      };
    }
    const averageValue = target?.averageValue;
    if (averageValue === undefined)
      throw new Error(
        `invalid resource metric source: neither a utilization target nor a value target was set`,
      );
    const p = resourceAverageValueReplicas(current, toMilli(averageValue), resource, pods, metrics, now);
    return {
      proposal: p,
      name: `${resource} resource`,
      status: at({ averageValue: milliQuantity(p.rawAverage) }),
    };
  } catch (err) {
    const verb = utilization !== undefined ? 'utilization' : 'usage';
    const inner = `failed to get ${resource} ${verb}: ${errorText(err)}`;
    throw new MetricError(
      reason,
      container !== undefined
        ? `failed to get ${resource} of container ${container}: ${errorText(err)}`
        : inner,
    );
  }
}

/** Metrics served by a custom or external metrics API, which tugboat does not run. */
export function unservedMetric(spec: MetricSpec): never {
  const api = spec.type === 'External' ? 'external.metrics.k8s.io' : 'custom.metrics.k8s.io';
  const name = (spec.pods ?? spec.object ?? spec.external)?.metric?.name ?? '';
  throw new MetricError(
    `FailedGet${spec.type}Metric`,
    `unable to get metric ${name}: the server could not find the requested resource (${api} is not served)`,
  );
}

/** An error as conditions and Events show it: an API error by the server's own message. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError && err.body?.message) return err.body.message;
  return err instanceof Error ? err.message : String(err);
}

/** One HPA's pass; mutates `state` (recommendations and scale events). */
