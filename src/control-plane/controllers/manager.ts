import type { EventSink } from '../../events.js';
import { silentEvents } from '../../events.js';
import type { ControllerApi } from '../machinery/api.js';
import { type Clock, systemClock } from '../machinery/clock.js';
import { EventRecorder } from '../machinery/event-recorder.js';
import type { InformerSet } from '../machinery/informers.js';
import { keyOf } from '../machinery/objects.js';
import type { ResourceName } from '../machinery/resources.js';
import type { Action } from './actions.js';
import { applyActions } from './apply-actions.js';
import type { ControllerDeps } from './controller-deps.js';
import { registerDisruptionController } from './disruption-controller.js';
import { registerGarbageCollector } from './garbage-collector-controller.js';
import type { HpaApi } from './hpa-api.js';
import { registerHpaController } from './hpa-controller.js';
import { registerNodeControllers } from './node-controllers.js';
import type { NodeIpamOptions } from './node-ipam.js';
import type { NodeLifecycleOptions } from './node-lifecycle.js';
import { registerPersistentVolumeController } from './persistent-volume-controller.js';
import { registerReplicationController } from './replicationcontroller-controller.js';
import { registerResourceQuotaController } from './resource-quota-controller.js';
import { ControllerRunner, type ReconcileResult } from './runner.js';
import { registerServiceControllers } from './service-controllers.js';
import { registerStatefulSetController } from './statefulset-controller.js';
import { registerWorkloadControllers } from './workload-controllers.js';

export interface ControllerManagerOptions {
  readonly api: ControllerApi;
  readonly informers: InformerSet;
  /** @default the system clock */
  readonly clock?: Clock;
  readonly events?: EventSink;
  readonly recorder?: EventRecorder;
  /** Grace and eviction timing of the node lifecycle controller. */
  readonly nodeLifecycle?: NodeLifecycleOptions;
  /** How often node health is checked. @default 5000 */
  readonly nodeMonitorPeriodMs?: number;
  /** How often the garbage collector scans everything (it also runs after deletions). @default 10000 */
  readonly garbageCollectorPeriodMs?: number;
  /** Give each Node a block of this pod range (node IPAM). @default no node IPAM */
  readonly nodeIpam?: NodeIpamOptions;
  /** Workers per controller. @default 2 */
  readonly workers?: number;
  /** Workers of the CronJob controller (kube's --concurrent-cron-job-syncs). @default 5 */
  readonly cronJobWorkers?: number;
  /** Scale subresources and pod metrics for the horizontal pod autoscaler. @default no autoscaler */
  readonly hpaApi?: HpaApi;
  /** How often each HorizontalPodAutoscaler is evaluated. @default 15000 */
  readonly hpaSyncPeriodMs?: number;
  /** Scale-down window of HPAs that leave it unset, in seconds. @default 300 */
  readonly hpaDownscaleStabilizationSeconds?: number;
}

/** Running controllers; stop them before stopping the informers. */
export interface ControllerManager {
  stop(): Promise<void>;
}

/**
 * Starts the workload controllers (ReplicaSet, Deployment, DaemonSet, Job, CronJob, StatefulSet,
 * ReplicationController), disruption, the horizontal pod autoscaler (with `hpaApi`), persistent
 * volumes, resource quota, Endpoints and EndpointSlices, node lifecycle and IPAM, and the garbage
 * collector over already-started informers. Each is a work queue of object keys fed
 * by informer events; reconciles are the pure functions of this folder, applied through the API.
 */
export function startControllerManager(options: ControllerManagerOptions): ControllerManager {
  const { api, informers: inf } = options;
  const clock = options.clock ?? systemClock;
  const events = options.events ?? silentEvents;
  const recorder = options.recorder ?? new EventRecorder(api, 'controller-manager', clock, events);
  const ctx = { api, recorder, informers: inf as Partial<Record<ResourceName, (typeof inf)['pods']>> };
  const apply = (actions: Action[]) => applyActions(ctx, actions);
  // Whole-cluster loops apply each action on its own: one refused write (a malformed object
  // answers 422) must not hold back the others, nor the loop's own period.
  const applyEach = async (loop: string, actions: Action[]) => {
    for (const a of actions) {
      await apply([a]).catch((err: unknown) =>
        events.emit({
          code: 'controllers.action.failed',
          level: 'warn',
          message: `${loop}: ${errorMessage(err)}`,
        }),
      );
    }
  };
  const workers = options.workers ?? 2;
  const runners: ControllerRunner[] = [];
  // The object a failing key names gets a FailedSync Warning (what `kubectl describe` shows);
  // repeats only bump the Event's count. Whole-cluster loops (key "all") have no object.
  const objectsOf: Record<string, (typeof inf)['pods'] | undefined> = {
    replicaset: inf.replicasets,
    replicationcontroller: inf.replicationcontrollers,
    deployment: inf.deployments,
    daemonset: inf.daemonsets,
    statefulset: inf.statefulsets,
    job: inf.jobs,
    cronjob: inf.cronjobs,
    disruption: inf.poddisruptionbudgets,
    'horizontal-pod-autoscaler': inf.horizontalpodautoscalers,
    endpoints: inf.services,
    endpointslice: inf.services,
  };
  const make = (
    name: string,
    reconcile: (key: string) => Promise<ReconcileResult | undefined>,
    count = workers,
  ) => {
    const onError = async (key: string, err: unknown, failures: number) => {
      // On the 1st, 2nd, 4th, 8th... consecutive failure: a stuck object must not turn its
      // retries into a stream of Event writes.
      if ((failures & (failures - 1)) !== 0) return;
      const obj = objectsOf[name]?.get(key);
      if (obj) await recorder.record(obj, 'Warning', 'FailedSync', errorMessage(err));
    };
    const r = new ControllerRunner({ name, workers: count, events, reconcile, onError });
    runners.push(r);
    return r;
  };
  const deps: ControllerDeps = { informers: inf, make, apply, applyEach };
  const gc = registerGarbageCollector(deps, options.garbageCollectorPeriodMs);
  const gcSoon = gc.soon;
  const workloads = registerWorkloadControllers(deps, {
    clock,
    gcSoon,
    ...(options.cronJobWorkers !== undefined ? { cronJobWorkers: options.cronJobWorkers } : {}),
  });
  const nodeLoops = registerNodeControllers(deps, {
    clock,
    ...(options.nodeLifecycle ? { lifecycle: options.nodeLifecycle } : {}),
    ...(options.nodeMonitorPeriodMs !== undefined ? { monitorPeriodMs: options.nodeMonitorPeriodMs } : {}),
    ...(options.nodeIpam ? { ipam: options.nodeIpam } : {}),
  });
  const services = registerServiceControllers({ informers: inf, make, apply, applyEach });
  const stsController = registerStatefulSetController({ informers: inf, make, apply, clock });
  registerPersistentVolumeController({ informers: inf, make, apply, clock, api });
  registerResourceQuotaController({ informers: inf, make, apply, clock, api });
  const disruptionController = registerDisruptionController({ informers: inf, make, apply, clock });
  const hpaController = options.hpaApi
    ? registerHpaController({
        informers: inf,
        make,
        apply,
        clock,
        hpa: {
          api: options.hpaApi,
          ...(options.hpaSyncPeriodMs !== undefined ? { syncPeriodMs: options.hpaSyncPeriodMs } : {}),
          ...(options.hpaDownscaleStabilizationSeconds !== undefined
            ? { downscaleStabilizationSeconds: options.hpaDownscaleStabilizationSeconds }
            : {}),
        },
      })
    : undefined;
  const rcController = registerReplicationController({
    informers: inf,
    make,
    apply,
    clock,
    gcSoon,
  });

  for (const r of runners) r.start();
  for (const [informer, runner] of [
    ...workloads,
    [inf.statefulsets, stsController],
    [inf.replicationcontrollers, rcController],
    [inf.poddisruptionbudgets, disruptionController],
    ...(hpaController ? ([[inf.horizontalpodautoscalers, hpaController]] as const) : []),
  ] as const) {
    for (const o of informer.list()) runner.enqueue(keyOf(o));
  }
  services.enqueueAll();
  for (const loop of [...nodeLoops, gc.runner]) loop.enqueue('all');
  return {
    async stop() {
      await Promise.all(runners.map((r) => r.stop()));
    },
  };
}

/** The message of a reconcile failure, for the FailedSync Event. */
function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 1024 ? `${text.slice(0, 1024)}...` : text;
}
