import type { Deployment, Pod, ReplicaSet } from '../../kube/index.js';
import { matchesSelector } from '../machinery/labels.js';
import { clone, controllerOf, controllerRef, isPodActive, isTerminating } from '../machinery/objects.js';
import { type Action, deleteAction, eventAction, statusUpdate } from './actions.js';
import {
  historyToPrune,
  podTemplateHashLabel,
  revisionAnnotation,
  revisionOf,
  templatesEqualIgnoringHash,
} from './deployment-revisions.js';
import { buildDeploymentStatus } from './deployment-status.js';
import { templateHash } from './pod-template.js';
import { newSetReplicas, resolveSurgeUnavailable, scaleDownOldSets } from './rolling-update.js';

function withReplicas(
  rs: ReplicaSet,
  replicas: number,
  extraAnnotations: Record<string, string> = {},
): ReplicaSet {
  const next = clone(rs);
  next.spec.replicas = replicas;
  next.metadata.annotations = { ...next.metadata.annotations, ...extraAnnotations };
  return next;
}

function buildNewSet(d: Deployment, hash: string, revision: number, replicas: number): ReplicaSet {
  const template = clone(d.spec.template);
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, [podTemplateHashLabel]: hash },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace ?? 'default',
      labels: { ...template.metadata.labels },
      annotations: {
        [revisionAnnotation]: String(revision),
        'deployment.kubernetes.io/desired-replicas': String(d.spec.replicas ?? 1),
      },
      ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')],
    },
    spec: {
      replicas,
      minReadySeconds: d.spec.minReadySeconds ?? 0,
      selector: {
        ...d.spec.selector,
        matchLabels: { ...d.spec.selector.matchLabels, [podTemplateHashLabel]: hash },
      },
      template,
    },
  };
}

/** Claims the namespace's ReplicaSets for a Deployment (adopting orphans that match its selector). */
function claimSets(d: Deployment, sets: readonly ReplicaSet[]): { owned: ReplicaSet[]; actions: Action[] } {
  const owned: ReplicaSet[] = [];
  const actions: Action[] = [];
  for (const rs of sets) {
    if (rs.metadata.namespace !== d.metadata.namespace) continue;
    const ref = controllerOf(rs);
    if (ref?.uid === d.metadata.uid) owned.push(rs);
    else if (!ref && !isTerminating(rs) && matchesSelector(d.spec.selector, rs.metadata.labels)) {
      const adopted = clone(rs);
      adopted.metadata.ownerReferences = [
        ...(rs.metadata.ownerReferences ?? []),
        controllerRef(d, 'apps/v1', 'Deployment'),
      ];
      actions.push({ verb: 'update', resource: 'replicasets', object: adopted });
      owned.push(adopted);
    }
  }
  return { owned, actions };
}

/**
 * One Deployment reconcile (kube's deployment controller, pure): find or create the ReplicaSet
 * of the current template, step a RollingUpdate or Recreate, keep revision annotations, prune
 * history and compute status. Rollback (`kubectl rollout undo`) and restart arrive as template
 * changes, so an old ReplicaSet becomes the new one and gets the next revision.
 */
export function reconcileDeployment(
  d: Deployment,
  sets: readonly ReplicaSet[],
  pods: readonly Pod[],
  now: number,
): Action[] {
  if (isTerminating(d)) return [];
  const { owned, actions } = claimSets(d, sets);
  const desired = d.spec.replicas ?? 1;
  const recreate = d.spec.strategy?.type === 'Recreate';
  const { maxSurge, maxUnavailable } = recreate
    ? { maxSurge: 0, maxUnavailable: 0 }
    : resolveSurgeUnavailable(desired, d.spec.strategy?.rollingUpdate);
  let newSet = owned.find((rs) => templatesEqualIgnoringHash(rs.spec.template, d.spec.template));
  const oldSets = owned.filter((rs) => rs !== newSet).sort((a, b) => revisionOf(a) - revisionOf(b));
  const maxOld = Math.max(0, ...oldSets.map(revisionOf));
  let createdNewSet = false;
  let scaled = false;
  const modified = new Map<string, ReplicaSet>();
  const scale = (rs: ReplicaSet, replicas: number) => {
    const from = rs.spec.replicas ?? 0;
    const name = rs.metadata.name ?? '';
    modified.set(name, withReplicas(modified.get(name) ?? rs, replicas));
    if (from !== replicas) {
      scaled = true;
      const dir = replicas > from ? 'up' : 'down';
      actions.push(
        eventAction(
          d,
          'Normal',
          'ScalingReplicaSet',
          `Scaled ${dir} replica set ${rs.metadata.name} from ${from} to ${replicas}`,
        ),
      );
    }
  };
  const oldActive = oldSets.reduce((s, rs) => s + (rs.spec.replicas ?? 0), 0);

  if (!newSet && !d.spec.paused) {
    const hash = templateHash(d.spec.template);
    let replicas: number;
    if (oldActive === 0) replicas = recreate ? (hasActiveOldPods(oldSets, pods) ? 0 : desired) : desired;
    else
      replicas = recreate
        ? 0
        : newSetReplicas(
            desired,
            maxSurge,
            { name: '', replicas: 0, available: 0 },
            oldSets.map(rolloutView),
          );
    newSet = buildNewSet(d, hash, maxOld + 1, replicas);
    actions.push({ verb: 'create', resource: 'replicasets', object: newSet });
    actions.push(
      eventAction(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${newSet.metadata.name} from 0 to ${replicas}`,
      ),
    );
    createdNewSet = true;
  } else if (newSet && revisionOf(newSet) <= maxOld) {
    // A rollback or a template returning to an earlier one: that set becomes the newest revision.
    const bumped = withReplicas(newSet, newSet.spec.replicas ?? 0, {
      [revisionAnnotation]: String(maxOld + 1),
    });
    modified.set(bumped.metadata.name ?? '', bumped);
    newSet = bumped;
    if (d.metadata.annotations?.[revisionAnnotation] !== String(maxOld + 1)) {
      actions.push(
        eventAction(
          d,
          'Normal',
          'DeploymentRollback',
          `Rolled back deployment "${d.metadata.name}" to revision ${maxOld + 1}`,
        ),
      );
    }
  }

  if (newSet && !createdNewSet) {
    const current = newSet.spec.replicas ?? 0;
    if (d.spec.paused) {
      if (oldActive === 0 && current !== desired) scale(newSet, desired);
    } else if (recreate) {
      for (const rs of oldSets) if ((rs.spec.replicas ?? 0) > 0) scale(rs, 0);
      if (oldActive === 0 && !hasActiveOldPods(oldSets, pods) && current !== desired) scale(newSet, desired);
    } else {
      const view = rolloutView(newSet);
      const target = newSetReplicas(desired, maxSurge, view, [view, ...oldSets.map(rolloutView)]);
      if (target !== current) scale(newSet, target);
      else {
        const cuts = scaleDownOldSets(desired, maxUnavailable, view, oldSets.map(rolloutView));
        for (const rs of oldSets) {
          const n = cuts.get(rs.metadata.name ?? '');
          if (n !== undefined) scale(rs, n);
        }
      }
    }
  }

  for (const rs of modified.values()) actions.push({ verb: 'update', resource: 'replicasets', object: rs });

  const revision = newSet ? String(revisionOf(newSet)) : undefined;
  if (revision && d.metadata.annotations?.[revisionAnnotation] !== revision) {
    const updated = clone(d);
    updated.metadata.annotations = { ...updated.metadata.annotations, [revisionAnnotation]: revision };
    actions.push({ verb: 'update', resource: 'deployments', object: updated });
  }

  const limit = d.spec.revisionHistoryLimit ?? 10;
  if (!scaled && !createdNewSet) {
    for (const rs of historyToPrune(oldSets, newSet?.metadata.name, limit))
      actions.push(deleteAction('replicasets', rs));
  }

  const status = buildDeploymentStatus({
    deployment: d,
    newSet,
    allSets: newSet && createdNewSet ? [...owned, newSet] : owned,
    maxUnavailable,
    createdNewSet,
    scaled,
    now,
  });
  actions.push(...statusUpdate('deployments', d, status));
  return actions;
}

function rolloutView(rs: ReplicaSet) {
  return {
    name: rs.metadata.name ?? '',
    replicas: rs.spec.replicas ?? 0,
    available: rs.status?.availableReplicas ?? 0,
  };
}

function hasActiveOldPods(oldSets: readonly ReplicaSet[], pods: readonly Pod[]): boolean {
  const uids = new Set(oldSets.map((rs) => rs.metadata.uid));
  return pods.some((p) => uids.has(controllerOf(p)?.uid) && isPodActive(p));
}
