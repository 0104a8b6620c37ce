/**
 * The arithmetic of a RollingUpdate, after kube's deployment controller: how far to scale the new
 * ReplicaSet up and the old ones down without exceeding `replicas + maxSurge` pods or dropping
 * below `replicas - maxUnavailable` available ones.
 */

/** Resolves an int-or-percent against `total`; percentages round up for surge, down for unavailable. */
export function resolveIntOrPercent(
  value: number | string | undefined,
  total: number,
  roundUp: boolean,
  fallback: string,
): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    const n = Number(v);
    if (Number.isInteger(n) && n >= 0) return n;
    throw new Error(
      `invalid int-or-percent "${v}": use a whole number such as 1 or a percentage such as 25%`,
    );
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable for `replicas`; both 0 would deadlock, so unavailable becomes 1. */
export function resolveSurgeUnavailable(
  replicas: number,
  strategy: { maxSurge?: number | string; maxUnavailable?: number | string } | undefined,
): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = resolveIntOrPercent(strategy?.maxSurge, replicas, true, '25%');
  let maxUnavailable = resolveIntOrPercent(strategy?.maxUnavailable, replicas, false, '25%');
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

/** One ReplicaSet as the rollout arithmetic sees it. */
export interface RolloutSet {
  readonly name: string;
  /** spec.replicas */
  readonly replicas: number;
  /** status.availableReplicas */
  readonly available: number;
}

/** New replicas for the new ReplicaSet this step (kube's NewRSNewReplicas). */
export function newSetReplicas(
  desired: number,
  maxSurge: number,
  newSet: RolloutSet,
  all: readonly RolloutSet[],
): number {
  if (newSet.replicas >= desired) return desired;
  const current = all.reduce((s, r) => s + r.replicas, 0);
  const maxTotal = desired + maxSurge;
  if (current >= maxTotal) return newSet.replicas;
  return newSet.replicas + Math.min(maxTotal - current, desired - newSet.replicas);
}

/**
 * New replica counts for the old ReplicaSets this step (kube's reconcileOldReplicaSets): first
 * drop unavailable old pods, then scale old sets down, oldest first, as far as availability allows.
 * Returns a map of set name to its new replicas, containing only sets that change.
 */
export function scaleDownOldSets(
  desired: number,
  maxUnavailable: number,
  newSet: RolloutSet,
  oldSets: readonly RolloutSet[],
): Map<string, number> {
  const result = new Map<string, number>();
  const oldCount = oldSets.reduce((s, r) => s + r.replicas, 0);
  if (oldCount === 0) return result;
  const allCount = oldCount + newSet.replicas;
  const minAvailable = desired - maxUnavailable;
  const newUnavailable = Math.max(0, newSet.replicas - newSet.available);
  let budget = allCount - minAvailable - newUnavailable;
  if (budget <= 0) return result;
  const current = new Map(oldSets.map((s) => [s.name, s.replicas]));
  for (const s of oldSets) {
    if (budget <= 0) break;
    const unhealthy = Math.max(0, s.replicas - s.available);
    const cut = Math.min(unhealthy, budget);
    if (cut > 0) {
      current.set(s.name, s.replicas - cut);
      budget -= cut;
    }
  }
  const available =
    oldSets.reduce((sum, s) => sum + Math.min(s.available, current.get(s.name) ?? 0), 0) + newSet.available;
  let scaleDown = Math.max(0, available - minAvailable);
  for (const s of oldSets) {
    if (scaleDown <= 0) break;
    const now = current.get(s.name) ?? 0;
    const cut = Math.min(now, scaleDown);
    if (cut > 0) {
      current.set(s.name, now - cut);
      scaleDown -= cut;
    }
  }
  for (const s of oldSets)
    if ((current.get(s.name) ?? 0) !== s.replicas) result.set(s.name, current.get(s.name) ?? 0);
  return result;
}
