import type { EventSink } from '../../events.js';
import type { KubeObject } from '../../kube/index.js';
import type { ControllerApi } from './api.js';
import { Informer } from './informer.js';
import { controllerOf } from './objects.js';
import { type ResourceName, resourceTypes } from './resources.js';

/** Index of objects by the uid of their controller owner. */
export const byOwner = 'owner';
/** Index of objects without a controller owner, by namespace (adoption candidates). */
export const orphansByNamespace = 'orphans';
/** Index of objects by namespace. */
export const byNamespace = 'namespace';
/** Index of pods by the node they are bound to. */
export const byNode = 'node';

const watched = [
  'pods',
  'nodes',
  'replicasets',
  'deployments',
  'daemonsets',
  'statefulsets',
  'replicationcontrollers',
  'controllerrevisions',
  'persistentvolumeclaims',
  'persistentvolumes',
  'storageclasses',
  'jobs',
  'cronjobs',
  'services',
  'endpoints',
  'leases',
  'endpointslices',
  'poddisruptionbudgets',
  'resourcequotas',
  'horizontalpodautoscalers',
] as const satisfies readonly ResourceName[];

export type InformerSet = { readonly [K in (typeof watched)[number]]: Informer<KubeObject> };

/** One informer per watched resource, with the indexes the controllers and scheduler look up. */
export function createInformers(api: ControllerApi, events?: EventSink): InformerSet {
  const set = {} as Record<(typeof watched)[number], Informer<KubeObject>>;
  for (const name of watched) {
    const inf = new Informer<KubeObject>(api, resourceTypes[name], events ? { events } : {});
    inf.addIndex(byOwner, (o) => {
      const ref = controllerOf(o);
      return ref ? [ref.uid] : [];
    });
    inf.addIndex(orphansByNamespace, (o) => (controllerOf(o) ? [] : [o.metadata.namespace ?? '']));
    inf.addIndex(byNamespace, (o) => [o.metadata.namespace ?? '']);
    if (name === 'pods') {
      inf.addIndex(byNode, (o) => {
        const n = (o as { spec?: { nodeName?: string } }).spec?.nodeName;
        return n ? [n] : [];
      });
    }
    set[name] = inf;
  }
  return set;
}

/** Starts every informer and waits for their initial lists. */
export async function startInformers(set: InformerSet): Promise<void> {
  await Promise.all(Object.values(set).map((i) => i.start()));
}

export function stopInformers(set: InformerSet): void {
  for (const i of Object.values(set)) i.stop();
}
