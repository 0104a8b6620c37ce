import type { Pod, PodDisruptionBudget, UntypedObject } from '../../kube/index.js';
import { formatTime } from '../machinery/clock.js';
import { asLabelSelector, matchesSelector } from '../machinery/labels.js';
import { findResource } from '../registry/index.js';
import { isRecord } from '../registry/validation.js';
import type { ApiContext } from './context.js';
import { ApiError } from './status.js';

/**
 * The PodDisruptionBudget side of an eviction (kube's EvictionREST): which budgets select a pod,
 * and checkAndDecrement — the disruption taken from `status.disruptionsAllowed` and recorded in
 * `status.disruptedPods`, or the refusal that says why not.
 */

/** kube's MaxDisruptedPodSize: evictions the disruption controller has not confirmed yet. */
const maxDisruptedPods = 2000;

export function budgetDef() {
  const def = findResource('policy', 'v1', 'poddisruptionbudgets');
  if (!def) throw new Error('poddisruptionbudgets are not registered');
  return def;
}

/** 429 TooManyRequests with a DisruptionBudget cause, as createTooManyRequestsError and checkAndDecrement say it. */
export function tooManyRequests(cause: string, retryAfterSeconds: number): ApiError {
  return new ApiError(
    429,
    'TooManyRequests',
    "Cannot evict pod as it would violate the pod's disruption budget.",
    { retryAfterSeconds, causes: [{ reason: 'DisruptionBudget', message: cause }] },
  );
}

/** `getPodDisruptionBudgets`: the budgets selecting the pod; an empty selector matches nothing here. */
export async function budgetsOf(ctx: ApiContext, pod: Pod): Promise<PodDisruptionBudget[]> {
  const page = await ctx.resources.list(budgetDef(), pod.metadata.namespace);
  return (page.items as unknown as PodDisruptionBudget[]).filter((pdb) => {
    const sel = asLabelSelector(isRecord(pdb.spec) ? pdb.spec.selector : undefined);
    const empty =
      !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
    const labels = isRecord(pod.metadata.labels) ? (pod.metadata.labels as Record<string, string>) : {};
    return !empty && matchesSelector(sel, labels);
  });
}

/** `checkAndDecrement`, run inside the budget's compare-and-swap update. */
export function takeDisruption(current: UntypedObject, podName: string, now: Date): UntypedObject {
  const pdb = current as unknown as PodDisruptionBudget;
  const name = pdb.metadata.name ?? '';
  const status = pdb.status ?? {
    disruptionsAllowed: 0,
    currentHealthy: 0,
    desiredHealthy: 0,
    expectedPods: 0,
  };
  // A status the disruption controller has not (or not well) written yet is not a budget to spend.
  if (
    typeof status.disruptionsAllowed !== 'number' ||
    (status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)
  )
    throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`, 10);
  if (status.disruptionsAllowed < 0)
    throw new ApiError(
      403,
      'Forbidden',
      `poddisruptionbudgets.policy "${name}" is forbidden: pdb disruptions allowed is negative`,
    );
  const disrupted = isRecord(status.disruptedPods) ? status.disruptedPods : {};
  if (Object.keys(disrupted).length > maxDisruptedPods)
    throw new ApiError(
      403,
      'Forbidden',
      `poddisruptionbudgets.policy "${name}" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller`,
    );
  if (status.disruptionsAllowed === 0)
    throw tooManyRequests(
      `The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
      0,
    );
  const allowed = status.disruptionsAllowed - 1;
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []).map((c) =>
    isRecord(c) && c.type === 'DisruptionAllowed' && allowed === 0 && c.status !== 'False'
      ? {
          ...c,
          status: 'False' as const,
          reason: 'InsufficientPods',
          lastTransitionTime: formatTime(now.getTime()),
        }
      : c,
  );
  return {
    ...current,
    status: {
      ...status,
      disruptionsAllowed: allowed,
      disruptedPods: { ...disrupted, [podName]: formatTime(now.getTime()) },
      conditions,
    },
  };
}
