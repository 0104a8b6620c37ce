import type { EventSink } from '../../events.js';
import { silentEvents } from '../../events.js';
import type {
  ControllerRevision,
  CronJob,
  DaemonSet,
  Deployment,
  Job,
  KubeObject,
  Lease,
  Node,
  Pod,
  ReplicaSet,
} from '../../kube/index.js';
import type { ControllerApi } from '../machinery/api.js';
import { type Clock, parseTime, systemClock } from '../machinery/clock.js';
import { EventRecorder } from '../machinery/event-recorder.js';
import { byNamespace, byOwner, type InformerSet, orphansByNamespace } from '../machinery/informers.js';
import { controllerOf, getCondition, keyOf } from '../machinery/objects.js';
import type { ResourceName } from '../machinery/resources.js';
import type { Action } from './actions.js';
import { applyActions } from './apply-actions.js';
import { reconcileCronJob } from './cronjob-reconcile.js';
import { reconcileDaemonSet } from './daemonset-reconcile.js';
import { reconcileDeployment } from './deployment-reconcile.js';
import { registerDisruptionController } from './disruption-controller.js';
import { collectGarbage, type OwnedObject } from './garbage-collector.js';
import type { HpaApi } from './hpa-api.js';
import { registerHpaController } from './hpa-controller.js';
import { reconcileJob } from './job-reconcile.js';
import { buildNodeIpamRange, type NodeIpamOptions, reconcileNodeCidrs } from './node-ipam.js';
import {
  type NodeHealth,
  type NodeLifecycleOptions,
  nodeLeaseNamespace,
  reconcileNodeLifecycle,
} from './node-lifecycle.js';
import { registerPersistentVolumeController } from './persistent-volume-controller.js';
import { reconcileReplicaSet } from './replicaset-reconcile.js';
import { registerReplicationController } from './replicationcontroller-controller.js';
import { registerResourceQuotaController } from './resource-quota-controller.js';
import { ControllerRunner, type ReconcileResult } from './runner.js';
import { registerServiceControllers } from './service-controllers.js';
import { registerStatefulSetController } from './statefulset-controller.js';
import { finishedAt, reconcileTtlAfterFinished } from './ttl-after-finished.js';
import { hasLeaseShape, hasNodeShape, hasOwnershipShape, hasPodShape } from './well-formed.js';

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

type Obj<T> = T & KubeObject;

/**
 * Starts the ReplicaSet, ReplicationController, Deployment, DaemonSet, StatefulSet, disruption, horizontal pod autoscaler (with `hpaApi`), Job, Endpoints, node lifecycle and garbage
 * collector controllers over already-started informers. Each is a work queue of object keys fed
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
  const podsOf = (uid: string | undefined) => (uid ? (inf.pods.byIndex(byOwner, uid) as Pod[]) : []);

  const rsController = make('replicaset', async (key) => {
    const rs = inf.replicasets.get(key) as Obj<ReplicaSet> | undefined;
    if (!rs) return undefined;
    const pods = [
      ...podsOf(rs.metadata.uid),
      ...(inf.pods.byIndex(orphansByNamespace, rs.metadata.namespace ?? '') as Pod[]),
    ];
    await apply(reconcileReplicaSet(rs, pods, clock.now()));
    const min = rs.spec.minReadySeconds ?? 0;
    return min > 0 ? { requeueAfterMs: min * 1000 + 100 } : undefined;
  });

  const deployController = make('deployment', async (key) => {
    const d = inf.deployments.get(key) as Obj<Deployment> | undefined;
    if (!d) return undefined;
    const owned = inf.replicasets.byIndex(byOwner, d.metadata.uid ?? '') as ReplicaSet[];
    const sets = [
      ...owned,
      ...(inf.replicasets.byIndex(orphansByNamespace, d.metadata.namespace ?? '') as ReplicaSet[]),
    ];
    const pods = owned.flatMap((rs) => podsOf(rs.metadata.uid));
    await apply(reconcileDeployment(d, sets, pods, clock.now()));
    const progressing = getCondition(d.status?.conditions, 'Progressing');
    const waiting =
      progressing?.reason === 'ReplicaSetUpdated' || progressing?.reason === 'NewReplicaSetCreated';
    return waiting ? { requeueAfterMs: (d.spec.progressDeadlineSeconds ?? 600) * 1000 + 500 } : undefined;
  });

  const dsController = make('daemonset', async (key) => {
    const ds = inf.daemonsets.get(key) as Obj<DaemonSet> | undefined;
    if (!ds) return undefined;
    const nodes = inf.nodes.list().filter(hasNodeShape) as Node[];
    const revisions = inf.controllerrevisions.byIndex(byOwner, ds.metadata.uid ?? '') as ControllerRevision[];
    await apply(reconcileDaemonSet(ds, nodes, podsOf(ds.metadata.uid), clock.now(), revisions));
    return undefined;
  });

  const jobController = make('job', async (key) => {
    const job = inf.jobs.get(key) as Obj<Job> | undefined;
    if (!job) return undefined;
    await apply(reconcileJob(job, podsOf(job.metadata.uid), clock.now()));
    const ttl = reconcileTtlAfterFinished(job, clock.now());
    await apply(ttl.actions);
    const deadline = job.spec.activeDeadlineSeconds;
    const start = parseTime(job.status?.startTime);
    const waits = [ttl.requeueAfterMs];
    if (deadline !== undefined && start !== undefined && !finishedAt(job))
      waits.push(Math.max(0, start + deadline * 1000 - clock.now()) + 100);
    const wait = Math.min(...waits.filter((w): w is number => w !== undefined));
    return Number.isFinite(wait) ? { requeueAfterMs: wait } : undefined;
  });

  const cronJobController = make(
    'cronjob',
    async (key) => {
      const cj = inf.cronjobs.get(key) as Obj<CronJob> | undefined;
      if (!cj) return undefined;
      const result = reconcileCronJob(
        cj,
        inf.jobs.byIndex(byOwner, cj.metadata.uid ?? '') as Job[],
        clock.now(),
      );
      await apply(result.actions);
      return result.requeueAfterMs === undefined ? undefined : { requeueAfterMs: result.requeueAfterMs };
    },
    options.cronJobWorkers ?? 5,
  );

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
    gcSoon: () => gcSoon(),
  });

  const health: NodeHealth = new Map();
  const nodeController = make('node-lifecycle', async () => {
    const leases = new Map<string, Lease>();
    for (const l of inf.leases.byIndex(byNamespace, nodeLeaseNamespace).filter(hasLeaseShape) as Lease[])
      leases.set(l.metadata.name ?? '', l);
    const result = reconcileNodeLifecycle(
      inf.nodes.list().filter(hasNodeShape) as Node[],
      leases,
      inf.pods.list().filter(hasPodShape) as Pod[],
      health,
      clock.now(),
      options.nodeLifecycle,
    );
    await applyEach('node-lifecycle', result.actions);
    const period = options.nodeMonitorPeriodMs ?? 5_000;
    const untilWake = result.wakeAt === undefined ? period : Math.max(10, result.wakeAt - clock.now());
    return { requeueAfterMs: Math.min(period, untilWake) };
  });

  const ipamRange = options.nodeIpam ? buildNodeIpamRange(options.nodeIpam) : undefined;
  // One key: allocation looks at every Node at once. Written blocks reach the cache at once
  // (applyActions assumes them), so the next pass never hands the same block out twice.
  const ipamController = make('node-ipam', async () => {
    if (ipamRange) await apply(reconcileNodeCidrs(inf.nodes.list() as Node[], ipamRange));
    return undefined;
  });

  const gcController = make('garbage-collector', async () => {
    const all: OwnedObject[] = [];
    for (const resource of [
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
    ] as const) {
      for (const object of inf[resource].list())
        if (hasOwnershipShape(object)) all.push({ resource, object });
    }
    await applyEach('garbage-collector', collectGarbage(all));
    return { requeueAfterMs: options.garbageCollectorPeriodMs ?? 10_000 };
  });
  const gcSoon = () => gcController.queue.addAfter('all', 250);

  const ownerKey = (obj: KubeObject, kind: string) => {
    const ref = controllerOf(obj);
    return ref?.kind === kind && obj.metadata.namespace ? `${obj.metadata.namespace}/${ref.name}` : undefined;
  };
  const enqueueOwner = (runner: ControllerRunner, obj: KubeObject, kind: string) => {
    const k = ownerKey(obj, kind);
    if (k) runner.enqueue(k);
  };

  const self = (runner: ControllerRunner) => ({
    onAdd: (o: KubeObject) => runner.enqueue(keyOf(o)),
    onUpdate: (o: KubeObject) => runner.enqueue(keyOf(o)),
    onDelete: (o: KubeObject) => {
      runner.enqueue(keyOf(o));
      gcSoon();
    },
  });
  inf.replicasets.addHandlers(self(rsController));
  inf.deployments.addHandlers(self(deployController));
  inf.daemonsets.addHandlers(self(dsController));
  inf.jobs.addHandlers(self(jobController));
  inf.cronjobs.addHandlers(self(cronJobController));
  inf.controllerrevisions.addHandlers({
    onAdd: (r) => enqueueOwner(dsController, r, 'DaemonSet'),
    onUpdate: (r) => enqueueOwner(dsController, r, 'DaemonSet'),
    onDelete: (r) => enqueueOwner(dsController, r, 'DaemonSet'),
  });
  inf.jobs.addHandlers({
    onAdd: (j) => enqueueOwner(cronJobController, j, 'CronJob'),
    onUpdate: (j) => enqueueOwner(cronJobController, j, 'CronJob'),
    onDelete: (j) => enqueueOwner(cronJobController, j, 'CronJob'),
  });

  const onPod = (pod: KubeObject, old?: KubeObject) => {
    for (const p of old ? [pod, old] : [pod]) {
      enqueueOwner(rsController, p, 'ReplicaSet');
      enqueueOwner(dsController, p, 'DaemonSet');
      enqueueOwner(jobController, p, 'Job');
      if (!controllerOf(p)) {
        for (const rs of inf.replicasets.byIndex(byNamespace, p.metadata.namespace ?? ''))
          rsController.enqueue(keyOf(rs));
      }
    }
  };
  inf.pods.addHandlers({
    onAdd: (p) => onPod(p),
    onUpdate: (p, old) => onPod(p, old),
    onDelete: (p) => {
      onPod(p);
      const rsKey = ownerKey(p, 'ReplicaSet');
      const rs = rsKey ? inf.replicasets.get(rsKey) : undefined;
      if (rs) enqueueOwner(deployController, rs, 'Deployment');
      gcSoon();
    },
  });
  inf.replicasets.addHandlers({
    onAdd: (rs) => enqueueOwner(deployController, rs, 'Deployment'),
    onUpdate: (rs, old) => {
      enqueueOwner(deployController, rs, 'Deployment');
      enqueueOwner(deployController, old, 'Deployment');
    },
    onDelete: (rs) => enqueueOwner(deployController, rs, 'Deployment'),
  });
  const allDaemonSets = () => {
    for (const ds of inf.daemonsets.list()) dsController.enqueue(keyOf(ds));
  };
  inf.nodes.addHandlers({
    onAdd: () => ipamController.enqueue('all'),
    onDelete: () => ipamController.enqueue('all'),
  });
  inf.nodes.addHandlers({
    onAdd: allDaemonSets,
    onDelete: () => {
      allDaemonSets();
      nodeController.enqueue('all');
    },
    onUpdate: (n, old) => {
      const a = n as Node;
      const b = old as Node;
      if (JSON.stringify([a.metadata.labels, a.spec]) !== JSON.stringify([b.metadata.labels, b.spec]))
        allDaemonSets();
    },
  });
  inf.statefulsets.addHandlers({ onDelete: gcSoon });
  const anyUpdate = { onUpdate: (o: KubeObject) => (o.metadata.deletionTimestamp ? gcSoon() : undefined) };
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
    inf[r].addHandlers(anyUpdate);

  for (const r of runners) r.start();
  for (const [informer, runner] of [
    [inf.replicasets, rsController],
    [inf.deployments, deployController],
    [inf.daemonsets, dsController],
    [inf.statefulsets, stsController],
    [inf.replicationcontrollers, rcController],
    [inf.jobs, jobController],
    [inf.cronjobs, cronJobController],
    [inf.poddisruptionbudgets, disruptionController],
    ...(hpaController ? ([[inf.horizontalpodautoscalers, hpaController]] as const) : []),
  ] as const) {
    for (const o of informer.list()) runner.enqueue(keyOf(o));
  }
  services.enqueueAll();
  nodeController.enqueue('all');
  ipamController.enqueue('all');
  gcController.enqueue('all');
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
