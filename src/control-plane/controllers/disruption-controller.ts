import type { KubeObject, OwnerReference, Pod, PodDisruptionBudget } from '../../kube/index.js';
import { everyVersion } from '../machinery/informer.js';
import { byNamespace } from '../machinery/informers.js';
import { controllerOf, keyOf } from '../machinery/objects.js';
import { type ControllerScale, podsOfBudget, reconcileDisruptionBudget } from './disruption-reconcile.js';
import type { ControllerRunner } from './runner.js';
import type { StatefulSetControllerDeps } from './statefulset-controller.js';

type Scaled = KubeObject & { spec?: { replicas?: number } };

/**
 * kube's finders: a pod's controllerRef followed to the workload whose replicas count — the
 * Deployment over a ReplicaSet it controls, else the ReplicaSet, ReplicationController or
 * StatefulSet itself (uids checked, so a recreated namesake does not count).
 */
function controllerScale(
  inf: StatefulSetControllerDeps['informers'],
  ref: OwnerReference,
  namespace: string,
): ControllerScale | undefined {
  const get = (informer: typeof inf.pods, name: string, uid?: string) => {
    const o = informer.get(`${namespace}/${name}`) as Scaled | undefined;
    return o && (uid === undefined || o.metadata.uid === uid) ? o : undefined;
  };
  const scale = (o: Scaled | undefined) =>
    o ? { uid: o.metadata.uid ?? '', scale: o.spec?.replicas ?? 1 } : undefined;
  const group = ref.apiVersion.split('/')[0];
  if (ref.kind === 'ReplicationController' && ref.apiVersion === 'v1')
    return scale(get(inf.replicationcontrollers, ref.name, ref.uid));
  if (group !== 'apps') return undefined;
  if (ref.kind === 'StatefulSet') return scale(get(inf.statefulsets, ref.name, ref.uid));
  if (ref.kind !== 'ReplicaSet') return undefined;
  const rs = get(inf.replicasets, ref.name, ref.uid);
  const owner = rs ? controllerOf(rs) : undefined;
  if (owner?.kind === 'Deployment') return scale(get(inf.deployments, owner.name, owner.uid));
  return scale(rs);
}

/**
 * The disruption controller: keeps each PodDisruptionBudget's status (healthy, desired and
 * expected pods, disruptions allowed, pending evictions) from the pod and workload caches, and
 * counts a budget again when one of its pods or the scale of a workload in its namespace changes.
 */
export function registerDisruptionController(deps: StatefulSetControllerDeps): ControllerRunner {
  const { informers: inf, make, apply, clock } = deps;
  const controller = make('disruption', async (key) => {
    const pdb = inf.poddisruptionbudgets.get(key) as PodDisruptionBudget | undefined;
    if (!pdb || pdb.metadata.deletionTimestamp) return undefined;
    const pods = inf.pods.byIndex(byNamespace, pdb.metadata.namespace ?? '') as Pod[];
    const result = reconcileDisruptionBudget(
      pdb,
      pods,
      (ref, ns) => controllerScale(inf, ref, ns),
      clock.now(),
    );
    await apply(result.actions);
    return result.requeueAfterMs !== undefined ? { requeueAfterMs: result.requeueAfterMs } : undefined;
  });
  const budgetsIn = (ns: string) =>
    inf.poddisruptionbudgets.byIndex(byNamespace, ns) as PodDisruptionBudget[];
  inf.poddisruptionbudgets.addHandlers({
    onAdd: (o) => controller.enqueue(keyOf(o)),
    onUpdate: (o) => controller.enqueue(keyOf(o)),
  });
  const onPod = (p: KubeObject) => {
    for (const pdb of budgetsIn(p.metadata.namespace ?? ''))
      if (podsOfBudget(pdb, [p as Pod]).length > 0) controller.enqueue(keyOf(pdb));
  };
  inf.pods.addHandlers(everyVersion(onPod));
  // A scale change moves the expected count of percentage and maxUnavailable budgets.
  const onScale = (o: KubeObject, old?: KubeObject) => {
    if (old && (o as Scaled).spec?.replicas === (old as Scaled).spec?.replicas) return;
    for (const pdb of budgetsIn(o.metadata.namespace ?? '')) controller.enqueue(keyOf(pdb));
  };
  for (const informer of [inf.deployments, inf.replicasets, inf.statefulsets, inf.replicationcontrollers])
    informer.addHandlers({ onAdd: (o) => onScale(o), onUpdate: onScale, onDelete: (o) => onScale(o) });
  return controller;
}
