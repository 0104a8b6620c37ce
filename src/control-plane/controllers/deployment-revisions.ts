import type { PodTemplateSpec, ReplicaSet } from '../../kube/index.js';
import { canonicalJson } from './pod-template.js';

/** Annotation holding the rollout revision of a ReplicaSet and of its Deployment. */
export const revisionAnnotation = 'deployment.kubernetes.io/revision';
/** Label that ties a ReplicaSet and its pods to one template. */
export const podTemplateHashLabel = 'pod-template-hash';

/** The revision of a ReplicaSet (0 when unset). */
export function revisionOf(rs: ReplicaSet): number {
  const n = Number(rs.metadata.annotations?.[revisionAnnotation] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function withoutHash(template: PodTemplateSpec): string {
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[podTemplateHashLabel];
  return canonicalJson({ ...template, metadata: { ...template.metadata, labels } });
}

/** True when two templates are equal once the pod-template-hash label is ignored (kube's EqualIgnoreHash). */
export function templatesEqualIgnoringHash(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return withoutHash(a) === withoutHash(b);
}

/**
 * ReplicaSets to delete to keep at most `limit` old ones: only fully scaled-down sets, lowest
 * revision first. `newName` is never deleted.
 */
export function historyToPrune(
  sets: readonly ReplicaSet[],
  newName: string | undefined,
  limit: number,
): ReplicaSet[] {
  const old = sets.filter((rs) => rs.metadata.name !== newName).sort((a, b) => revisionOf(a) - revisionOf(b));
  const excess = old.length - limit;
  if (excess <= 0) return [];
  return old
    .filter(
      (rs) =>
        (rs.spec.replicas ?? 0) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp,
    )
    .slice(0, excess);
}
