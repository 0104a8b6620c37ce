import type { Taint, Toleration } from '../../kube/index.js';

/** Taint the node lifecycle controller puts on a node whose agent stopped renewing its Lease. */
export const unreachableTaintKey = 'node.kubernetes.io/unreachable';
/** Taint implied for a node whose Ready condition is False. */
export const notReadyTaintKey = 'node.kubernetes.io/not-ready';
/** Taint implied by `spec.unschedulable` (kubectl cordon). */
export const unschedulableTaintKey = 'node.kubernetes.io/unschedulable';

/** Kubernetes' ToleratesTaint: effect, key and value (for Equal) must match; an empty key with Exists matches all. */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  const op = toleration.operator ?? 'Equal';
  if (op === 'Exists') return true;
  if (!toleration.key) return false;
  return (toleration.value ?? '') === (taint.value ?? '');
}

/** The first taint with one of `effects` that no toleration tolerates. */
export function firstUntolerated(
  taints: readonly Taint[],
  tolerations: readonly Toleration[] | undefined,
  effects: readonly Taint['effect'][],
): Taint | undefined {
  return taints.find(
    (t) => effects.includes(t.effect) && !(tolerations ?? []).some((tol) => tolerates(tol, t)),
  );
}

/** `{key: value}`, the way kube-scheduler prints a taint in its reasons. */
export function describeTaint(taint: Taint): string {
  return `{${taint.key}: ${taint.value ?? ''}}`;
}
