import type { ControllerRevision, DaemonSet, Node, Pod, Toleration } from '../../kube/index.js';
import { controllerOf, isPodActive, isPodAvailable, isPodReady } from '../machinery/objects.js';
import { resourceTypes } from '../machinery/resources.js';
import { filterNodeAffinity, filterTaints } from '../scheduler/filters.js';
import { notReadyTaintKey, unreachableTaintKey, unschedulableTaintKey } from '../scheduler/taints.js';
import { type Action, deleteAction, eventAction, statusUpdate } from './actions.js';
import { pruneRevisions, revisionHashLabel, syncRevisions } from './controller-revisions.js';
import { podFromTemplate } from './pod-template.js';
import { resolveIntOrPercent } from './rolling-update.js';

export { revisionHashLabel };

/**
 * Tolerations every daemon pod gets, as kube's DaemonSet controller adds them: daemons stay on
 * not-ready, unreachable and cordoned nodes (they are often what makes a node healthy again).
 */
export const daemonTolerations: readonly Toleration[] = [
  { key: notReadyTaintKey, operator: 'Exists', effect: 'NoExecute' },
  { key: unreachableTaintKey, operator: 'Exists', effect: 'NoExecute' },
  { key: notReadyTaintKey, operator: 'Exists', effect: 'NoSchedule' },
  { key: unschedulableTaintKey, operator: 'Exists', effect: 'NoSchedule' },
];

/** The pod a DaemonSet runs on `node`: template plus daemon tolerations, bound directly to the node. */
export function daemonPod(ds: DaemonSet, node: Node, hash: string): Pod {
  const pod = podFromTemplate(ds.spec.template, ds, resourceTypes.daemonsets, { [revisionHashLabel]: hash });
  pod.spec.tolerations = [...(pod.spec.tolerations ?? []), ...daemonTolerations];
  pod.spec.nodeName = node.metadata.name;
  return pod;
}

/** Whether a DaemonSet should run on a node: node selector/affinity match and taints tolerated. */
export function shouldRunOn(ds: DaemonSet, node: Node): boolean {
  const probe = daemonPod(ds, node, '');
  return filterNodeAffinity(probe, node).length === 0 && filterTaints(probe, node).length === 0;
}

/**
 * One DaemonSet reconcile: a ControllerRevision per template (for `kubectl rollout history|undo`),
 * exactly one pod per eligible node, none elsewhere, failed pods replaced, and a RollingUpdate
 * that replaces outdated pods at most `maxUnavailable` at a time.
 */
export function reconcileDaemonSet(
  ds: DaemonSet,
  nodes: readonly Node[],
  pods: readonly Pod[],
  now: number,
  revisions: readonly ControllerRevision[] = [],
): Action[] {
  if (ds.metadata.deletionTimestamp) return [];
  const sync = syncRevisions({
    owner: ds,
    ownerType: resourceTypes.daemonsets,
    template: ds.spec.template,
    revisions: revisions.filter((r) => controllerOf(r)?.uid === ds.metadata.uid),
    collisionCount: ds.status?.collisionCount ?? 0,
    labelValue: 'hash',
  });
  const actions: Action[] = [...sync.actions];
  const hash = sync.hash;
  const minReady = ds.spec.minReadySeconds ?? 0;
  const mine = pods.filter((p) => controllerOf(p)?.uid === ds.metadata.uid && !p.metadata.deletionTimestamp);
  const byNode = new Map<string, Pod[]>();
  for (const p of mine) {
    const n = p.spec.nodeName ?? '';
    byNode.set(n, [...(byNode.get(n) ?? []), p]);
  }
  const nodeNames = new Set(nodes.map((n) => n.metadata.name ?? ''));
  let desired = 0;
  let misscheduled = 0;
  const current: Pod[] = [];
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    const here = byNode.get(name) ?? [];
    const failed = here.filter((p) => p.status?.phase === 'Failed');
    for (const p of failed) actions.push(deleteAction('pods', p));
    const live = here.filter(isPodActive);
    if (!shouldRunOn(ds, node)) {
      if (live.length > 0) misscheduled++;
      for (const p of live) actions.push(deleteAction('pods', p));
      continue;
    }
    desired++;
    if (live.length === 0) {
      actions.push({ verb: 'create', resource: 'pods', object: daemonPod(ds, node, hash) });
      actions.push(eventAction(ds, 'Normal', 'SuccessfulCreate', `Created pod on node ${name}`));
    } else {
      const [keep, ...extra] = [...live].sort((a, b) => (isPodReady(b) ? 1 : 0) - (isPodReady(a) ? 1 : 0));
      for (const p of extra) actions.push(deleteAction('pods', p));
      if (keep) current.push(keep);
    }
  }
  for (const [nodeName, here] of byNode) {
    if (nodeName && nodeNames.has(nodeName)) continue;
    for (const p of here) actions.push(deleteAction('pods', p));
  }

  if ((ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
    const maxUnavailable = Math.max(
      1,
      resolveIntOrPercent(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable, desired, false, '1'),
    );
    const unavailable = desired - current.filter((p) => isPodAvailable(p, minReady, now)).length;
    let budget = maxUnavailable - unavailable;
    const outdated = current
      .filter((p) => p.metadata.labels?.[revisionHashLabel] !== hash)
      .sort(
        (a, b) => (isPodAvailable(a, minReady, now) ? 1 : 0) - (isPodAvailable(b, minReady, now) ? 1 : 0),
      );
    for (const p of outdated) {
      const availableNow = isPodAvailable(p, minReady, now);
      if (availableNow && budget <= 0) break;
      actions.push(deleteAction('pods', p));
      if (availableNow) budget--;
    }
  }

  const status = {
    currentNumberScheduled: current.length,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: current.filter(isPodReady).length,
    updatedNumberScheduled: current.filter((p) => p.metadata.labels?.[revisionHashLabel] === hash).length,
    numberAvailable: current.filter((p) => isPodAvailable(p, minReady, now)).length,
    numberUnavailable: desired - current.filter((p) => isPodAvailable(p, minReady, now)).length,
    observedGeneration: ds.metadata.generation ?? 0,
    ...(sync.collisionCount > 0 ? { collisionCount: sync.collisionCount } : {}),
  };
  const inUse = new Set([hash, ...mine.map((p) => p.metadata.labels?.[revisionHashLabel] ?? '')]);
  actions.push(...pruneRevisions(sync.revisions, inUse, ds.spec.revisionHistoryLimit ?? 10));
  actions.push(...statusUpdate('daemonsets', ds, status));
  return actions;
}
