import type { Condition, HorizontalPodAutoscaler, MetricStatus } from '../../kube/index.js';
import { formatTime } from '../machinery/clock.js';
import { setCondition } from '../machinery/objects.js';
import { type BehaviorState, limitRate, recordScale, rulesOf, stabilize } from './hpa-behavior.js';
import {
  errorText,
  type HpaEvent,
  type HpaPassResult,
  type HpaSources,
  MetricError,
  resourceMetric,
  type TargetScale,
  unservedMetric,
} from './hpa-metrics.js';

export type { HpaEvent, HpaPassResult, HpaSources, PodMetricsItem, TargetScale } from './hpa-metrics.js';

/**
 * One pass of kube's horizontal pod autoscaler over one HPA (horizontal.go reconcileAutoscaler):
 * read the target's scale, compute a count per metric, take the largest, smooth and limit it by
 * the behavior, rescale, and say why in conditions and Events. Everything outside is a function
 * of `HpaSources`, so the whole pass runs on fakes and a fake clock.
 */

type Conditions = Condition[];

/** Controller-wide settings of one pass. */
export interface HpaPassOptions {
  /**
   * Scale-down window of autoscalers whose behavior leaves it unset
   * (`--horizontal-pod-autoscaler-downscale-stabilization`). @default 300
   */
  readonly downscaleStabilizationSeconds?: number;
}

export async function reconcileAutoscaler(
  hpa: HorizontalPodAutoscaler,
  sources: HpaSources,
  state: BehaviorState,
  now: number,
  options: HpaPassOptions = {},
): Promise<HpaPassResult> {
  const windowDown = options.downscaleStabilizationSeconds;
  const events: HpaEvent[] = [];
  let conditions: Conditions = [...(hpa.status?.conditions ?? [])];
  const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => {
    conditions = setCondition(conditions, { type, status, reason, message }, now);
  };
  const warn = (reason: string, message: string) => events.push({ type: 'Warning', reason, message });
  const previous = hpa.status;
  const done = (
    currentReplicas: number,
    desiredReplicas: number,
    currentMetrics: MetricStatus[] | undefined,
    rescaled: boolean,
  ): HpaPassResult => ({
    status: {
      ...(hpa.metadata.generation !== undefined ? { observedGeneration: hpa.metadata.generation } : {}),
      ...(rescaled
        ? { lastScaleTime: formatTime(now) }
        : previous?.lastScaleTime
          ? { lastScaleTime: previous.lastScaleTime }
          : {}),
      currentReplicas,
      desiredReplicas,
      ...(currentMetrics?.length ? { currentMetrics } : {}),
      conditions,
    },
    events,
  });

  let scale: TargetScale;
  try {
    scale = await sources.getScale();
  } catch (err) {
    condition(
      'AbleToScale',
      'False',
      'FailedGetScale',
      `the HPA controller was unable to get the target's current scale: ${errorText(err)}`,
    );
    warn('FailedGetScale', errorText(err));
    return done(previous?.currentReplicas ?? 0, previous?.desiredReplicas ?? 0, undefined, false);
  }
  condition(
    'AbleToScale',
    'True',
    'SucceededGetScale',
    "the HPA controller was able to get the target's current scale",
  );
  const current = scale.replicas;
  const min = hpa.spec.minReplicas ?? 1;
  const max = hpa.spec.maxReplicas;
  let desired: number;
  let reason = '';
  let metricStatuses: MetricStatus[] | undefined;
  if (current === 0 && min !== 0) {
    desired = 0;
    condition(
      'ScalingActive',
      'False',
      'ScalingDisabled',
      'scaling is disabled since the replica count of the target is zero',
    );
  } else if (current > max) {
    reason = 'Current number of replicas above Spec.MaxReplicas';
    desired = max;
  } else if (current < min) {
    reason = 'Current number of replicas below Spec.MinReplicas';
    desired = min;
  } else {
    if (!scale.selector) {
      warn('SelectorRequired', 'selector is required');
      condition('ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      return done(current, previous?.desiredReplicas ?? 0, undefined, false);
    }
    try {
      sources.pods(scale.selector);
    } catch (err) {
      warn(
        'InvalidSelector',
        `couldn't convert selector into a corresponding internal selector object: ${errorText(err)}`,
      );
      condition(
        'ScalingActive',
        'False',
        'InvalidSelector',
        "the HPA target's scale has an invalid selector",
      );
      return done(current, previous?.desiredReplicas ?? 0, undefined, false);
    }
    const specs = hpa.spec.metrics ?? [];
    const statuses: MetricStatus[] = [];
    let proposal = 0;
    let metricName = '';
    let invalid = 0;
    let firstError: MetricError | undefined;
    for (const spec of specs) {
      try {
        const outcome =
          spec.type === 'Resource' || spec.type === 'ContainerResource'
            ? await resourceMetric(spec, current, scale.selector, sources, now)
            : unservedMetric(spec);
        statuses.push(outcome.status);
        if (outcome.proposal.replicas > proposal) {
          proposal = outcome.proposal.replicas;
          metricName = outcome.name;
        }
      } catch (err) {
        const e =
          err instanceof MetricError ? err : new MetricError('FailedGetResourceMetric', errorText(err));
        statuses.push({ type: '' as MetricStatus['type'] });
        warn(e.reason, e.message);
        firstError ??= e;
        invalid++;
      }
    }
    metricStatuses = statuses;
    if (firstError && (invalid >= specs.length || proposal < current)) {
      condition(
        'ScalingActive',
        'False',
        firstError.reason,
        `the HPA was unable to compute the replica count: ${firstError.message}`,
      );
      warn(
        'FailedComputeMetricsReplicas',
        `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}`,
      );
      return done(current, previous?.desiredReplicas ?? 0, metricStatuses, false);
    }
    condition(
      'ScalingActive',
      'True',
      'ValidMetricFound',
      `the HPA was able to successfully calculate a replica count from ${metricName}`,
    );
    desired = proposal;
    if (desired > current) reason = `${metricName} above target`;
    if (desired < current) reason = 'All metrics below target';
    const up = rulesOf(hpa.spec.behavior?.scaleUp, 'up');
    const down = rulesOf(hpa.spec.behavior?.scaleDown, 'down', windowDown);
    const stable = stabilize(state, current, desired, up, down, now);
    if (stable.replicas !== desired) condition('AbleToScale', 'True', stable.reason, stable.message);
    else condition('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size');
    const limited = limitRate(state, current, stable.replicas, min, max, up, down, now);
    condition(
      'ScalingLimited',
      limited.replicas === stable.replicas ? 'False' : 'True',
      limited.reason,
      limited.message,
    );
    desired = limited.replicas;
  }

  if (desired === current) return done(current, desired, metricStatuses, false);
  try {
    await sources.updateScale(desired);
  } catch (err) {
    warn('FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${errorText(err)}`);
    condition(
      'AbleToScale',
      'False',
      'FailedUpdateScale',
      `the HPA controller was unable to update the target scale: ${errorText(err)}`,
    );
    return done(current, previous?.desiredReplicas ?? 0, metricStatuses, false);
  }
  condition(
    'AbleToScale',
    'True',
    'SucceededRescale',
    `the HPA controller was able to update the target scale to ${desired}`,
  );
  events.push({
    type: 'Normal',
    reason: 'SuccessfulRescale',
    message: `New size: ${desired}; reason: ${reason}`,
  });
  recordScale(
    state,
    current,
    desired,
    rulesOf(hpa.spec.behavior?.scaleUp, 'up'),
    rulesOf(hpa.spec.behavior?.scaleDown, 'down', windowDown),
    now,
  );
  return done(current, desired, metricStatuses, true);
}
