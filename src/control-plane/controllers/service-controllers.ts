import type { Endpoints, KubeObject, Node, Pod, Service } from '../../kube/index.js';
import { byNamespace, type InformerSet } from '../machinery/informers.js';
import { matchesMap } from '../machinery/labels.js';
import { keyOf } from '../machinery/objects.js';
import { type Action, deleteAction } from './actions.js';
import { reconcileEndpoints } from './endpoints-reconcile.js';
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

/**
 * The Endpoints, EndpointSlice and LoadBalancer status controllers, which all follow Services and
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
  // One key: every LoadBalancer Service gets the same node addresses (ServiceLB style).
  const lbController = make('service-lb', async () => {
    const nodes = inf.nodes.list().filter(hasNodeShape) as Node[];
    await applyEach('service-lb', reconcileLoadBalancerStatus(inf.services.list(), nodes));
    return undefined;
  });
  const enqueueService = (key: string) => {
    endpointsController.enqueue(key);
    sliceController.enqueue(key);
    lbController.enqueue('all');
  };
  const onService = (o: KubeObject) => enqueueService(keyOf(o));
  inf.services.addHandlers({ onAdd: onService, onUpdate: onService, onDelete: onService });
  inf.endpoints.addHandlers({ onDelete: (o) => endpointsController.enqueue(keyOf(o)) });
  const sliceOwner = (o: KubeObject) => {
    const svc = o.metadata.labels?.[SERVICE_NAME_LABEL];
    if (svc && o.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY)
      sliceController.enqueue(`${o.metadata.namespace}/${svc}`);
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
      for (const e of inf.endpoints.list()) endpointsController.enqueue(keyOf(e));
      lbController.enqueue('all');
    },
  };
}
