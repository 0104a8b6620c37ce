import type { EndpointSlice, Endpoints, KubeObject, Node, Pod, Service } from '../../kube/index.js';
import { byNamespace, type InformerSet } from '../machinery/informers.js';
import { matchesMap } from '../machinery/labels.js';
import { keyOf } from '../machinery/objects.js';
import { type Action, deleteAction } from './actions.js';
import { reconcileEndpoints } from './endpoints-reconcile.js';
import { MIRRORING_MANAGED_BY, reconcileMirroredSlices } from './endpointslice-mirroring.js';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  reconcileEndpointSlices,
  SERVICE_NAME_LABEL,
  slicesOf,
  zonesOf,
} from './endpointslice-reconcile.js';
import type { ControllerRunner, ReconcileResult } from './runner.js';
import { reconcileLoadBalancerStatus } from './service-lb-status.js';
import { hasNodeShape } from './well-formed.js';

/** What the controller manager lends the Service controllers. */
export interface ServiceControllerDeps {
  readonly informers: InformerSet;
  /** Makes a named work-queue controller (FailedSync events, retries). */
  readonly make: (
    name: string,
    reconcile: (key: string) => Promise<ReconcileResult | undefined>,
  ) => ControllerRunner;
  readonly apply: (actions: Action[]) => Promise<void>;
  /** Applies each action on its own (whole-cluster loops). */
  readonly applyEach: (loop: string, actions: Action[]) => Promise<void>;
}

/** The slices of Service `namespace/name` that `managedBy` manages, from its namespace's slices. */
function managedSlices(inf: InformerSet, key: string, managedBy: string): EndpointSlice[] {
  const [namespace = '', name = ''] = key.split('/');
  return inf.endpointslices
    .byIndex(byNamespace, namespace)
    .filter(
      (s) =>
        s.metadata.labels?.[SERVICE_NAME_LABEL] === name &&
        s.metadata.labels?.[MANAGED_BY_LABEL] === managedBy,
    ) as EndpointSlice[];
}

/**
 * The Endpoints, EndpointSlice (and its mirroring) and LoadBalancer status controllers, which all follow Services and
 * the pods they select. Registers their informer handlers; `enqueueAll` queues the first pass
 * (every Service, plus Endpoints and slices whose Service went while no controller ran).
 */
export function registerServiceControllers(deps: ServiceControllerDeps): { enqueueAll(): void } {
  const { informers: inf, make, apply, applyEach } = deps;
  const endpointsController = make('endpoints', async (key) => {
    const svc = inf.services.get(key) as Service | undefined;
    const current = inf.endpoints.get(key) as Endpoints | undefined;
    if (!svc) {
      // As upstream: the Endpoints of a deleted Service go with it.
      if (current) await apply([deleteAction('endpoints', current)]);
      return undefined;
    }
    const pods = inf.pods.byIndex(byNamespace, svc.metadata.namespace ?? '') as Pod[];
    await apply(reconcileEndpoints(svc, pods, current));
    return undefined;
  });
  const sliceController = make('endpointslice', async (key) => {
    const [namespace = '', name = ''] = key.split('/');
    const svc = inf.services.get(key) as Service | undefined;
    const pods = inf.pods.byIndex(byNamespace, namespace) as Pod[];
    const slices = slicesOf(namespace, name, inf.endpointslices.byIndex(byNamespace, namespace));
    await apply(reconcileEndpointSlices(svc, pods, zonesOf(inf.nodes.list()), slices));
    return undefined;
  });
  // Hand-written Endpoints of selector-less Services, mirrored for the proxies and DNS.
  const mirrorController = make('endpointslice-mirroring', async (key) => {
    const svc = inf.services.get(key) as Service | undefined;
    const endpoints = inf.endpoints.get(key) as Endpoints | undefined;
    await apply(reconcileMirroredSlices(svc, endpoints, managedSlices(inf, key, MIRRORING_MANAGED_BY)));
    return undefined;
  });
  // One key: every LoadBalancer Service gets the same node addresses (ServiceLB style).
  const lbController = make('service-lb', async () => {
    const nodes = inf.nodes.list().filter(hasNodeShape) as Node[];
    await applyEach('service-lb', reconcileLoadBalancerStatus(inf.services.list(), nodes));
    return undefined;
  });
  const enqueueService = (key: string) => {
    endpointsController.enqueue(key);
    sliceController.enqueue(key);
    mirrorController.enqueue(key);
    lbController.enqueue('all');
  };
  const onService = (o: KubeObject) => enqueueService(keyOf(o));
  inf.services.addHandlers({ onAdd: onService, onUpdate: onService, onDelete: onService });
  const onEndpoints = (o: KubeObject) => mirrorController.enqueue(keyOf(o));
  inf.endpoints.addHandlers({
    onAdd: onEndpoints,
    onUpdate: onEndpoints,
    onDelete: (o) => {
      endpointsController.enqueue(keyOf(o));
      onEndpoints(o);
    },
  });
  const sliceOwner = (o: KubeObject) => {
    const svc = o.metadata.labels?.[SERVICE_NAME_LABEL];
    const managedBy = o.metadata.labels?.[MANAGED_BY_LABEL];
    if (!svc) return;
    if (managedBy === MANAGED_BY) sliceController.enqueue(`${o.metadata.namespace}/${svc}`);
    else if (managedBy === MIRRORING_MANAGED_BY) mirrorController.enqueue(`${o.metadata.namespace}/${svc}`);
  };
  inf.endpointslices.addHandlers({ onUpdate: sliceOwner, onDelete: sliceOwner });
  const onPod = (pod: KubeObject, old?: KubeObject) => {
    for (const p of old ? [pod, old] : [pod])
      for (const svc of inf.services.byIndex(byNamespace, p.metadata.namespace ?? '') as Service[])
        if (svc.spec?.selector && matchesMap(svc.spec.selector, p.metadata.labels))
          enqueueService(keyOf(svc));
  };
  inf.pods.addHandlers({
    onAdd: (p) => onPod(p),
    onUpdate: (p, old) => onPod(p, old),
    onDelete: (p) => onPod(p),
  });
  const lbSoon = () => lbController.enqueue('all');
  inf.nodes.addHandlers({ onAdd: lbSoon, onUpdate: lbSoon, onDelete: lbSoon });
  return {
    enqueueAll() {
      for (const o of inf.services.list()) enqueueService(keyOf(o));
      for (const s of inf.endpointslices.list()) sliceOwner(s);
      for (const e of inf.endpoints.list()) {
        endpointsController.enqueue(keyOf(e));
        mirrorController.enqueue(keyOf(e));
      }
      lbController.enqueue('all');
    },
  };
}
