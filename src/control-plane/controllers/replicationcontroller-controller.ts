import type { KubeObject, Pod, ReplicationController } from '../../kube/index.js';
import { everyVersion } from '../machinery/informer.js';
import { byNamespace, byOwner, orphansByNamespace } from '../machinery/informers.js';
import { controllerOf, keyOf } from '../machinery/objects.js';
import { reconcileReplicationController } from './replicationcontroller-reconcile.js';
import type { ControllerRunner } from './runner.js';
import type { StatefulSetControllerDeps } from './statefulset-controller.js';

/** What the controller manager lends the ReplicationController controller. */
export interface ReplicationControllerDeps extends StatefulSetControllerDeps {
  /** Asks the garbage collector for a pass soon (a deleted controller leaves pods behind). */
  readonly gcSoon: () => void;
}

/**
 * The ReplicationController controller (kube's replication manager): one controller at a time
 * from the caches, following its pods back to it and offering orphans to every controller of the
 * namespace (adoption).
 */
export function registerReplicationController(deps: ReplicationControllerDeps): ControllerRunner {
  const { informers: inf, make, apply, clock } = deps;
  const controller = make('replicationcontroller', async (key) => {
    const rc = inf.replicationcontrollers.get(key) as ReplicationController | undefined;
    if (!rc) return undefined;
    const pods = [
      ...(inf.pods.byIndex(byOwner, rc.metadata.uid ?? '') as Pod[]),
      ...(inf.pods.byIndex(orphansByNamespace, rc.metadata.namespace ?? '') as Pod[]),
    ];
    await apply(reconcileReplicationController(rc, pods, clock.now()));
    const min = rc.spec.minReadySeconds ?? 0;
    return min > 0 ? { requeueAfterMs: min * 1000 + 100 } : undefined;
  });
  inf.replicationcontrollers.addHandlers({
    onAdd: (o) => controller.enqueue(keyOf(o)),
    onUpdate: (o) => controller.enqueue(keyOf(o)),
    onDelete: (o) => {
      controller.enqueue(keyOf(o));
      deps.gcSoon();
    },
  });
  const onPod = (p: KubeObject) => {
    const ref = controllerOf(p);
    if (ref?.kind === 'ReplicationController' && p.metadata.namespace)
      controller.enqueue(`${p.metadata.namespace}/${ref.name}`);
    else if (!ref)
      for (const rc of inf.replicationcontrollers.byIndex(byNamespace, p.metadata.namespace ?? ''))
        controller.enqueue(keyOf(rc));
  };
  inf.pods.addHandlers(everyVersion(onPod));
  return controller;
}
