import type { Pod, ReplicaSet } from '../../kube/index.js';
import { matchesMap, matchesSelector } from '../machinery/labels.js';
import {
  clone,
  controllerOf,
  controllerRef,
  getCondition,
  isPodActive,
  isPodAvailable,
  isPodReady,
  isTerminating,
} from '../machinery/objects.js';
import { apiVersionOf, type ResourceType, resourceOfKind, resourceTypes } from '../machinery/resources.js';
import { type Action, deleteAction, eventAction, statusUpdate } from './actions.js';
import { podFromTemplate } from './pod-template.js';

const resourceOf = (t: ResourceType) => resourceOfKind(t.kind) ?? 'replicasets';

/** Most pods one reconcile creates or deletes, as kube-controller-manager's burstReplicas. */
export const burstReplicas = 500;

function phaseRank(pod: Pod): number {
  const p = pod.status?.phase;
  return p === 'Pending' || p === undefined ? 0 : p === 'Unknown' ? 1 : 2;
}

/**
 * Order in which surplus pods are deleted (kube's ActivePods): unscheduled before scheduled,
 * Pending before Running, not ready before ready, then the youngest first.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const sa = a.spec.nodeName ? 1 : 0;
  const sb = b.spec.nodeName ? 1 : 0;
  if (sa !== sb) return sa - sb;
  if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const ta =
    getCondition(a.status?.conditions, 'Ready')?.lastTransitionTime ?? a.metadata.creationTimestamp ?? '';
  const tb =
    getCondition(b.status?.conditions, 'Ready')?.lastTransitionTime ?? b.metadata.creationTimestamp ?? '';
  return ta === tb ? 0 : ta > tb ? -1 : 1;
}

/** Splits namespace pods into those the owner controls (adopting orphans, releasing mismatches). */
export function claimPods(
  owner: ReplicaSet,
  pods: readonly Pod[],
  kind: string,
  apiVersion: string,
): { owned: Pod[]; actions: Action[] } {
  const owned: Pod[] = [];
  const actions: Action[] = [];
  const uid = owner.metadata.uid;
  for (const pod of pods) {
    if (pod.metadata.namespace !== owner.metadata.namespace) continue;
    const ref = controllerOf(pod);
    const matches = matchesSelector(owner.spec.selector, pod.metadata.labels);
    if (ref?.uid === uid) {
      if (matches) owned.push(pod);
      else {
        const released = clone(pod);
        released.metadata.ownerReferences = (released.metadata.ownerReferences ?? []).filter(
          (r) => r.uid !== uid,
        );
        actions.push({ verb: 'update', resource: 'pods', object: released });
      }
    } else if (!ref && matches && !isTerminating(pod) && !isTerminating(owner)) {
      const adopted = clone(pod);
      adopted.metadata.ownerReferences = [
        ...(adopted.metadata.ownerReferences ?? []),
        controllerRef(owner, apiVersion, kind),
      ];
      actions.push({ verb: 'update', resource: 'pods', object: adopted });
      owned.push(adopted);
    }
  }
  return { owned, actions };
}

/**
 * One ReplicaSet reconcile: claim pods, create or delete pods to match `spec.replicas`, and
 * compute status. Pure: returns the actions to apply. `ownerType` is ReplicationController when
 * reconciling one of those (given here with its selector map as `matchLabels`).
 */
export function reconcileReplicaSet(
  rs: ReplicaSet,
  pods: readonly Pod[],
  now: number,
  ownerType: ResourceType = resourceTypes.replicasets,
): Action[] {
  if (isTerminating(rs)) return [];
  const noun = ownerType.kind === 'ReplicaSet' ? 'replica set' : 'replication controller';
  const { owned, actions } = claimPods(rs, pods, ownerType.kind, apiVersionOf(ownerType));
  const active = owned.filter(isPodActive);
  const want = rs.spec.replicas ?? 1;
  const diff = active.length - want;
  if (diff < 0) {
    const n = Math.min(-diff, burstReplicas);
    for (let i = 0; i < n; i++) {
      actions.push({
        verb: 'create',
        resource: 'pods',
        object: podFromTemplate(rs.spec.template, rs, ownerType),
      });
    }
    actions.push(
      eventAction(rs, 'Normal', 'SuccessfulCreate', `Created ${n} pod(s) for ${noun} ${rs.metadata.name}`),
    );
  } else if (diff > 0) {
    const victims = [...active].sort(compareForDeletion).slice(0, Math.min(diff, burstReplicas));
    for (const pod of victims) actions.push(deleteAction('pods', pod));
    actions.push(
      eventAction(
        rs,
        'Normal',
        'SuccessfulDelete',
        `Deleted ${victims.length} pod(s) of ${noun} ${rs.metadata.name}`,
      ),
    );
  }
  const minReady = rs.spec.minReadySeconds ?? 0;
  const status = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) =>
      matchesMap(rs.spec.template.metadata?.labels, p.metadata.labels),
    ).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
    observedGeneration: rs.metadata.generation ?? 0,
  };
  actions.push(...statusUpdate(resourceOf(ownerType), rs, status));
  return actions;
}
