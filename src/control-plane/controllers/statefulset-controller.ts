import type {
  ControllerRevision,
  KubeObject,
  PersistentVolumeClaim,
  Pod,
  StatefulSet,
} from '../../kube/index.js';
import type { Clock } from '../machinery/clock.js';
import { everyVersion } from '../machinery/informer.js';
import { byNamespace, byOwner, type InformerSet, orphansByNamespace } from '../machinery/informers.js';
import { controllerOf, keyOf } from '../machinery/objects.js';
import type { Action } from './actions.js';
import type { ControllerRunner, ReconcileResult } from './runner.js';
import { reconcileStatefulSet } from './statefulset-reconcile.js';

/** What the controller manager lends the StatefulSet controller. */
export interface StatefulSetControllerDeps {
  readonly informers: InformerSet;
  readonly clock: Clock;
  readonly make: (
    name: string,
    reconcile: (key: string) => Promise<ReconcileResult | undefined>,
  ) => ControllerRunner;
  readonly apply: (actions: Action[]) => Promise<void>;
}

/**
 * The StatefulSet controller: reconciles one set at a time from the informer caches (its pods,
 * the namespace's claims, its revisions) and follows pods, revisions and claims back to it.
 */
export function registerStatefulSetController(deps: StatefulSetControllerDeps): ControllerRunner {
  const { informers: inf, make, apply, clock } = deps;
  const controller = make('statefulset', async (key) => {
    const set = inf.statefulsets.get(key) as StatefulSet | undefined;
    if (!set) return undefined;
    const ns = set.metadata.namespace ?? '';
    const uid = set.metadata.uid ?? '';
    const pods = [
      ...(inf.pods.byIndex(byOwner, uid) as Pod[]),
      ...(inf.pods.byIndex(orphansByNamespace, ns) as Pod[]),
    ];
    await apply(
      reconcileStatefulSet(
        set,
        pods,
        inf.persistentvolumeclaims.byIndex(byNamespace, ns) as PersistentVolumeClaim[],
        inf.controllerrevisions.byIndex(byOwner, uid) as ControllerRevision[],
        clock.now(),
      ),
    );
    const min = set.spec.minReadySeconds ?? 0;
    return min > 0 ? { requeueAfterMs: min * 1000 + 100 } : undefined;
  });
  const owner = (o: KubeObject) => {
    const ref = controllerOf(o);
    if (ref?.kind === 'StatefulSet' && o.metadata.namespace)
      controller.enqueue(`${o.metadata.namespace}/${ref.name}`);
  };
  const allIn = (o: KubeObject) => {
    for (const s of inf.statefulsets.byIndex(byNamespace, o.metadata.namespace ?? ''))
      controller.enqueue(keyOf(s));
  };
  inf.statefulsets.addHandlers({
    onAdd: (o) => controller.enqueue(keyOf(o)),
    onUpdate: (o) => controller.enqueue(keyOf(o)),
    onDelete: (o) => controller.enqueue(keyOf(o)),
  });
  const onPod = (p: KubeObject) => (controllerOf(p) ? owner(p) : allIn(p));
  inf.pods.addHandlers(everyVersion(onPod));
  inf.controllerrevisions.addHandlers({ onAdd: owner, onUpdate: owner, onDelete: owner });
  // A claim deleted by hand is made again for its pod.
  inf.persistentvolumeclaims.addHandlers({ onDelete: allIn });
  return controller;
}
