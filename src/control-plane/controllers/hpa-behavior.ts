import type { ScalingRules } from '../../kube/index.js';

/**
 * The scaling behavior of kube's horizontal pod autoscaler (horizontal.go:
 * stabilizeRecommendationWithBehaviors, convertDesiredReplicasWithBehaviorRate and the scale-up
 * and scale-down limits): recent recommendations smooth the desired count, and the policies cap
 * how far the count may move per period. The memory of one autoscaler lives in `BehaviorState`.
 */

/** Filled-in rules of one direction. */
export interface Rules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: 'Max' | 'Min' | 'Disabled';
  readonly policies: readonly { type: 'Pods' | 'Percent'; value: number; periodSeconds: number }[];
}

/** kube-controller-manager's `--horizontal-pod-autoscaler-downscale-stabilization` default (5m). */
export const DEFAULT_DOWNSCALE_STABILIZATION_SECONDS = 300;

/**
 * `GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules` over whatever the object gives. A
 * scale-down window the object leaves unset is the controller's `downscaleStabilizationSeconds`
 * (upstream's `maybeInitScaleDownStabilizationWindow`).
 */
export function rulesOf(
  given: ScalingRules | undefined,
  direction: 'up' | 'down',
  downscaleStabilizationSeconds: number = DEFAULT_DOWNSCALE_STABILIZATION_SECONDS,
): Rules {
  const up = direction === 'up';
  return {
    stabilizationWindowSeconds: given?.stabilizationWindowSeconds ?? (up ? 0 : downscaleStabilizationSeconds),
    selectPolicy: given?.selectPolicy ?? 'Max',
    policies: given?.policies?.length
      ? given.policies
      : up
        ? [
            { type: 'Pods', value: 4, periodSeconds: 15 },
            { type: 'Percent', value: 100, periodSeconds: 15 },
          ]
        : [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

interface Recommendation {
  replicas: number;
  at: number;
}
interface ScaleEvent {
  change: number;
  at: number;
}

/** What the controller remembers of one autoscaler between syncs. */
export interface BehaviorState {
  recommendations: Recommendation[];
  scaleUps: ScaleEvent[];
  scaleDowns: ScaleEvent[];
}

export function newBehaviorState(): BehaviorState {
  return { recommendations: [], scaleUps: [], scaleDowns: [] };
}

/** A decision with the reason and message of the condition it sets. */
export interface Limited {
  readonly replicas: number;
  readonly reason: string;
  readonly message: string;
}

/**
 * `stabilizeRecommendationWithBehaviors`: the lowest recommendation of the scale-up window when
 * going up, the highest of the scale-down window when going down; records this one.
 */
export function stabilize(
  state: BehaviorState,
  current: number,
  desired: number,
  up: Rules,
  down: Rules,
  now: number,
): Limited {
  const upward = desired >= current;
  const window = upward ? up.stabilizationWindowSeconds : down.stabilizationWindowSeconds;
  const cutoff = now - window * 1000;
  const obsolete = now - Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000;
  let replicas = desired;
  for (const r of state.recommendations)
    if (r.at > cutoff) replicas = upward ? Math.min(replicas, r.replicas) : Math.max(replicas, r.replicas);
  state.recommendations = state.recommendations.filter((r) => r.at >= obsolete);
  state.recommendations.push({ replicas: desired, at: now });
  return upward
    ? {
        replicas,
        reason: 'ScaleUpStabilized',
        message:
          'recent recommendations were lower than current one, applying the lowest recent recommendation',
      }
    : {
        replicas,
        reason: 'ScaleDownStabilized',
        message:
          'recent recommendations were higher than current one, applying the highest recent recommendation',
      };
}

function changedWithin(events: readonly ScaleEvent[], periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let sum = 0;
  for (const e of events) if (e.at > cutoff) sum += e.change;
  return sum;
}

/**
 * `calculateScaleUpLimitWithScalingRules` / `calculateScaleDownLimitWithBehaviors`: each policy
 * proposes a bound from the count at the start of its period; Max picks the one allowing the most
 * change, Min the least, Disabled none.
 */
function policyLimit(
  state: BehaviorState,
  current: number,
  rules: Rules,
  now: number,
  upward: boolean,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const most = rules.selectPolicy !== 'Min';
  const pick = upward === most ? Math.max : Math.min;
  let result = upward === most ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start =
      current -
      changedWithin(state.scaleUps, p.periodSeconds, now) +
      changedWithin(state.scaleDowns, p.periodSeconds, now);
    const proposed = upward
      ? p.type === 'Pods'
        ? start + p.value
        : Math.ceil(start * (1 + p.value / 100))
      : p.type === 'Pods'
        ? start - p.value
        : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** `convertDesiredReplicasWithBehaviorRate`: min/max and the policies' rate, with the reason. */
export function limitRate(
  state: BehaviorState,
  current: number,
  desired: number,
  min: number,
  max: number,
  up: Rules,
  down: Rules,
  now: number,
): Limited {
  if (desired > current) {
    const limit = Math.max(policyLimit(state, current, up, now, true), current);
    if (max > limit) {
      if (desired > limit)
        return {
          replicas: limit,
          reason: 'ScaleUpLimit',
          message: 'the desired replica count is increasing faster than the maximum scale rate',
        };
    } else if (desired > max)
      return {
        replicas: max,
        reason: 'TooManyReplicas',
        message: 'the desired replica count is more than the maximum replica count',
      };
  } else if (desired < current) {
    const limit = Math.min(policyLimit(state, current, down, now, false), current);
    if (min < limit) {
      if (desired < limit)
        return {
          replicas: limit,
          reason: 'ScaleDownLimit',
          message: 'the desired replica count is decreasing faster than the maximum scale rate',
        };
    } else if (desired < min)
      return {
        replicas: min,
        reason: 'TooFewReplicas',
        message: 'the desired replica count is less than the minimum replica count',
      };
  }
  return {
    replicas: desired,
    reason: 'DesiredWithinRange',
    message: 'the desired count is within the acceptable range',
  };
}

/** `storeScaleEvent`: remembers a rescale for the policies' periods (older ones are dropped). */
export function recordScale(
  state: BehaviorState,
  from: number,
  to: number,
  up: Rules,
  down: Rules,
  now: number,
): void {
  const longest = (r: Rules) => Math.max(0, ...r.policies.map((p) => p.periodSeconds)) * 1000;
  state.scaleUps = state.scaleUps.filter((e) => e.at > now - longest(up));
  state.scaleDowns = state.scaleDowns.filter((e) => e.at > now - longest(down));
  if (to > from) state.scaleUps.push({ change: to - from, at: now });
  else if (to < from) state.scaleDowns.push({ change: from - to, at: now });
}
