import type { ControllerRevision, PersistentVolumeClaim, Pod, StatefulSet } from '../../kube/index.js';
import { controllerOf, isPodAvailable, isTerminating } from '../machinery/objects.js';
import { resourceTypes } from '../machinery/resources.js';
import { type Action, deleteAction, eventAction, statusUpdate } from './actions.js';
import {
  pruneRevisions,
  revisionHashLabel,
  syncRevisions,
  templateOfRevision,
} from './controller-revisions.js';
import { burstReplicas, claimPods } from './replicaset-reconcile.js';
import { resolveIntOrPercent } from './rolling-update.js';
import {
  claimName,
  claimsFor,
  isRunningAndReady,
  ordinalOf,
  podName,
  statefulPod,
} from './statefulset-pods.js';

const revisionOf = (pod: Pod) => pod.metadata.labels?.[revisionHashLabel] ?? '';
const finished = (pod: Pod) => pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';

/**
 * One StatefulSet reconcile, after kube's stateful_set_control.go: revisions, then pods
 * `<set>-<ordinal>` for ordinals `[start, start+replicas)`, each with its claims created first.
 * OrderedReady creates one pod at a time in ascending order and waits for it to be Running and
 * Ready, and removes surplus pods one at a time from the highest ordinal; Parallel does both at
 * once. A RollingUpdate then replaces stale pods from the highest ordinal down to `partition`,
 * at most `maxUnavailable` (default 1) unavailable at a time; OnDelete leaves them until deleted.
 * Claims are kept unless the retention policy says Delete (`whenScaled` here; `whenDeleted` by
 * the garbage collector through the claim's owner reference).
 */
export function reconcileStatefulSet(
  set: StatefulSet,
  namespacePods: readonly Pod[],
  claims: readonly PersistentVolumeClaim[],
  revisions: readonly ControllerRevision[],
  now: number,
): Action[] {
  if (isTerminating(set)) return [];
  const sync = syncRevisions({
    owner: set,
    ownerType: resourceTypes.statefulsets,
    template: set.spec.template,
    revisions: revisions.filter((r) => controllerOf(r)?.uid === set.metadata.uid),
    collisionCount: set.status?.collisionCount ?? 0,
    labelValue: 'name',
  });
  const actions: Action[] = [...sync.actions];
  const updateRevision = sync.updateName;
  const current = sync.revisions.find((r) => r.metadata.name === set.status?.currentRevision);
  const currentRevision = current?.metadata.name ?? updateRevision;
  const currentTemplate = (current && templateOfRevision(current)) ?? set.spec.template;

  // Pods the set owns (adopting orphans its selector matches), by ordinal.
  const members = namespacePods.filter(
    (p) => controllerOf(p)?.uid === set.metadata.uid || ordinalOf(set, p) >= 0,
  );
  const claimed = claimPods(set as never, members, 'StatefulSet', 'apps/v1');
  actions.push(...claimed.actions);
  const pods = claimed.owned;
  const replicaCount = set.spec.replicas ?? 1;
  const start = set.spec.ordinals?.start ?? 0;
  const end = start + replicaCount;
  const slots = new Map<number, Pod>();
  const condemned: Pod[] = [];
  for (const p of pods) {
    const ord = ordinalOf(set, p);
    if (ord < 0) continue;
    if (ord >= start && ord < end) slots.set(ord, p);
    else condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(set, b) - ordinalOf(set, a));

  const minReady = set.spec.minReadySeconds ?? 0;
  const status = buildStatus(set, pods, currentRevision, updateRevision, sync.collisionCount, minReady, now);
  const ordered = (set.spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
  const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const rolling = (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const claimsByName = new Map(claims.map((c) => [c.metadata.name ?? '', c]));
  const name = set.metadata.name ?? '';
  let budget = burstReplicas;

  const ensureClaims = (ord: number) => {
    for (const c of claimsFor(set, ord)) {
      if (claimsByName.has(c.metadata.name ?? '')) continue;
      actions.push({ verb: 'create', resource: 'persistentvolumeclaims', object: c });
      actions.push(
        eventAction(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Claim ${c.metadata.name} Pod ${podName(set, ord)} in StatefulSet ${name} success`,
        ),
      );
      claimsByName.set(c.metadata.name ?? '', c);
    }
  };
  const deletePod = (p: Pod) => {
    actions.push(deleteAction('pods', p));
    actions.push(
      eventAction(
        set,
        'Normal',
        'SuccessfulDelete',
        `delete Pod ${p.metadata.name} in StatefulSet ${name} successful`,
      ),
    );
    budget--;
  };

  const finish = () => {
    actions.push(...retentionDeletes(set, claims, pods, end));
    const keep = new Set([currentRevision, updateRevision, ...pods.map(revisionOf)]);
    actions.push(...pruneRevisions(sync.revisions, keep, set.spec.revisionHistoryLimit ?? 10));
    actions.push(...statusUpdate('statefulsets', set, status));
    return actions;
  };

  // Create or replace pods in ascending ordinal order.
  for (let ord = start; ord < end && budget > 0; ord++) {
    const pod = slots.get(ord);
    if (!pod) {
      ensureClaims(ord);
      // Below the partition a new pod keeps the current revision (kube's newVersionedStatefulSetPod).
      const old = rolling && ord - start < partition;
      const p = statefulPod(
        set,
        old ? currentTemplate : set.spec.template,
        old ? currentRevision : updateRevision,
        ord,
      );
      actions.push({ verb: 'create', resource: 'pods', object: p });
      actions.push(
        eventAction(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Pod ${p.metadata.name} in StatefulSet ${name} successful`,
        ),
      );
      budget--;
      if (ordered) return finish();
      continue;
    }
    if (finished(pod) && !isTerminating(pod)) {
      deletePod(pod);
      if (ordered) return finish();
      continue;
    }
    ensureClaims(ord);
    if (ordered && (isTerminating(pod) || !isRunningAndReady(pod))) return finish();
  }

  // Remove pods beyond the replica count, highest ordinal first.
  for (const pod of condemned) {
    if (budget <= 0) break;
    if (isTerminating(pod)) {
      if (ordered) return finish();
      continue;
    }
    // OrderedReady scales down only while every other pod is healthy.
    if (ordered && pods.some((p) => p !== pod && !isTerminating(p) && !isRunningAndReady(p))) return finish();
    deletePod(pod);
    if (ordered) return finish();
  }

  if (rolling) {
    const maxUnavailable = Math.max(
      1,
      resolveIntOrPercent(set.spec.updateStrategy?.rollingUpdate?.maxUnavailable, replicaCount, true, '1'),
    );
    let unavailable = 0;
    for (let ord = start; ord < end; ord++) {
      const p = slots.get(ord);
      if (!p || isTerminating(p) || !isRunningAndReady(p) || !isPodAvailable(p, minReady, now)) unavailable++;
    }
    for (let ord = end - 1; ord >= start + partition && unavailable < maxUnavailable && budget > 0; ord--) {
      const p = slots.get(ord);
      if (!p || isTerminating(p) || revisionOf(p) === updateRevision) continue;
      deletePod(p);
      unavailable++;
    }
  }
  return finish();
}

function buildStatus(
  set: StatefulSet,
  pods: readonly Pod[],
  currentRevision: string,
  updateRevision: string,
  collisionCount: number,
  minReady: number,
  now: number,
): NonNullable<StatefulSet['status']> {
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let currentReplicas = 0;
  let updated = 0;
  for (const p of pods) {
    if (ordinalOf(set, p) < 0) continue;
    replicas++;
    if (isRunningAndReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
    if (isTerminating(p)) continue;
    if (revisionOf(p) === currentRevision) currentReplicas++;
    if (revisionOf(p) === updateRevision) updated++;
  }
  const want = set.spec.replicas ?? 1;
  // kube's completeRollingUpdate: once every pod runs the update revision, it becomes current.
  const complete =
    (set.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
    updated === want &&
    ready === want &&
    replicas === want;
  return {
    observedGeneration: set.metadata.generation ?? 0,
    replicas,
    readyReplicas: ready,
    currentReplicas: complete ? updated : currentReplicas,
    updatedReplicas: updated,
    availableReplicas: available,
    currentRevision: complete ? updateRevision : currentRevision,
    updateRevision,
    collisionCount,
  };
}

/**
 * Claims to delete for `whenScaled: Delete`: those of ordinals at or above `end` whose pod is
 * gone (so a pod never loses a mounted claim while it runs).
 */
function retentionDeletes(
  set: StatefulSet,
  claims: readonly PersistentVolumeClaim[],
  pods: readonly Pod[],
  end: number,
): Action[] {
  if (set.spec.persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Delete') return [];
  const live = new Set(pods.map((p) => p.metadata.name));
  const out: Action[] = [];
  const byName = new Map(claims.map((c) => [c.metadata.name ?? '', c]));
  const templates = (set.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name ?? '');
  for (const c of claims) {
    for (const t of templates) {
      const prefix = `${t}-${set.metadata.name}-`;
      const name = c.metadata.name ?? '';
      if (!name.startsWith(prefix)) continue;
      const rest = name.slice(prefix.length);
      if (!/^(0|[1-9][0-9]{0,8})$/.test(rest)) continue;
      const ord = Number(rest);
      if (ord < end || live.has(podName(set, ord)) || c.metadata.deletionTimestamp) continue;
      if (byName.get(claimName(set, t, ord)) === c) out.push(deleteAction('persistentvolumeclaims', c));
    }
  }
  return out;
}
