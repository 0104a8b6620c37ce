import type { KubeObject } from '../../kube/index.js';
import type { ControllerDeps } from './controller-deps.js';
import { collectGarbage, type OwnedObject } from './garbage-collector.js';
import type { ControllerRunner } from './runner.js';
import { hasOwnershipShape } from './well-formed.js';

/** The kinds whose objects can own others or be owned, scanned on every pass. */
const OWNED_RESOURCES = [
  'pods',
  'replicasets',
  'replicationcontrollers',
  'deployments',
  'daemonsets',
  'statefulsets',
  'controllerrevisions',
  'persistentvolumeclaims',
  'jobs',
  'cronjobs',
] as const;

/** The garbage collector's loop, and `soon()` to run it shortly after something went away. */
export interface GarbageCollectorController {
  readonly runner: ControllerRunner;
  soon(): void;
}

/**
 * The garbage collector: one key ("all") scanning every owned kind every `periodMs` and 250 ms
 * after a deletion or a finalizing update, deleting dependents whose owners are gone.
 */
export function registerGarbageCollector(
  deps: ControllerDeps,
  periodMs = 10_000,
): GarbageCollectorController {
  const { informers: inf, make, applyEach } = deps;
  const runner = make('garbage-collector', async () => {
    const all: OwnedObject[] = [];
    for (const resource of OWNED_RESOURCES) {
      for (const object of inf[resource].list())
        if (hasOwnershipShape(object)) all.push({ resource, object });
    }
    await applyEach('garbage-collector', collectGarbage(all));
    return { requeueAfterMs: periodMs };
  });
  const soon = () => runner.queue.addAfter('all', 250);
  inf.statefulsets.addHandlers({ onDelete: soon });
  const finalizing = { onUpdate: (o: KubeObject) => (o.metadata.deletionTimestamp ? soon() : undefined) };
  for (const r of [
    'deployments',
    'replicasets',
    'replicationcontrollers',
    'daemonsets',
    'statefulsets',
    'jobs',
    'cronjobs',
    'pods',
  ] as const)
    inf[r].addHandlers(finalizing);
  return { runner, soon };
}
