import type { PersistentVolumeClaim, Pod, PodTemplateSpec, StatefulSet, Volume } from '../../kube/index.js';
import { clone, controllerRef, isPodReady } from '../machinery/objects.js';
import { apiVersionOf, resourceTypes } from '../machinery/resources.js';
import { revisionHashLabel } from './controller-revisions.js';
import { podFromTemplate } from './pod-template.js';

/** Label with a StatefulSet pod's own name (what a per-pod Service selects). */
export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
/** Label with a StatefulSet pod's ordinal. */
export const podIndexLabel = 'apps.kubernetes.io/pod-index';

/** Name of the pod of `set` at `ordinal`: `<set>-<ordinal>`. */
export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

/** The ordinal of a pod of `set` from its name; -1 when the name is not `<set>-<n>`. */
export function ordinalOf(set: StatefulSet, pod: Pod): number {
  const name = pod.metadata.name ?? '';
  const prefix = `${set.metadata.name}-`;
  if (!name.startsWith(prefix)) return -1;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]{0,8})$/.test(rest) ? Number(rest) : -1;
}

/** Name of the claim of `template` for the pod at `ordinal`: `<claim>-<set>-<ordinal>`. */
export function claimName(set: StatefulSet, template: string, ordinal: number): string {
  return `${template}-${podName(set, ordinal)}`;
}

/**
 * The claims of the pod at `ordinal`, one per volumeClaimTemplate: labelled with the set's
 * selector labels, and owned (not controlled) by the set when `whenDeleted: Delete`, so the
 * garbage collector removes them with it.
 */
export function claimsFor(set: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  const ownedBySet = set.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
  return (set.spec.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(set, t.metadata.name ?? '', ordinal),
      namespace: set.metadata.namespace ?? 'default',
      labels: { ...(t.metadata.labels ?? {}), ...(set.spec.selector.matchLabels ?? {}) },
      ...(t.metadata.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ...(ownedBySet
        ? {
            ownerReferences: [
              {
                ...controllerRef(set, apiVersionOf(resourceTypes.statefulsets), 'StatefulSet'),
                controller: false,
              },
            ],
          }
        : {}),
    },
    spec: clone(t.spec) as PersistentVolumeClaim['spec'],
  }));
}

/**
 * The pod at `ordinal` made from `template` (the template of revision `revision`): stable name,
 * hostname and subdomain (the governing Service), identity labels, and each claim template
 * mounted as a persistentVolumeClaim volume in place of any template volume of that name.
 */
export function statefulPod(
  set: StatefulSet,
  template: PodTemplateSpec,
  revision: string,
  ordinal: number,
): Pod {
  const name = podName(set, ordinal);
  const pod = podFromTemplate(template, set, resourceTypes.statefulsets, {
    [revisionHashLabel]: revision,
    [podNameLabel]: name,
    [podIndexLabel]: String(ordinal),
  });
  delete pod.metadata.generateName;
  pod.metadata.name = name;
  pod.spec.hostname = name;
  if (set.spec.serviceName) pod.spec.subdomain = set.spec.serviceName;
  const claims = new Map<string, Volume>();
  for (const t of set.spec.volumeClaimTemplates ?? []) {
    const claim = t.metadata.name ?? '';
    claims.set(claim, { name: claim, persistentVolumeClaim: { claimName: claimName(set, claim, ordinal) } });
  }
  if (claims.size > 0)
    pod.spec.volumes = [...(pod.spec.volumes ?? []).filter((v) => !claims.has(v.name)), ...claims.values()];
  return pod;
}

/** Running and Ready (kube's isRunningAndReady). */
export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}
