import type {
  ControllerRevision,
  CronJob,
  DaemonSet,
  Deployment,
  Job,
  KubeObject,
  Node,
  Pod,
  ReplicaSet,
} from '../../kube/index.js';
import { type Clock, parseTime } from '../machinery/clock.js';
import type { Informer } from '../machinery/informer.js';
import { byNamespace, byOwner, orphansByNamespace } from '../machinery/informers.js';
import { controllerOf, getCondition, keyOf } from '../machinery/objects.js';
import type { ControllerDeps } from './controller-deps.js';
import { reconcileCronJob } from './cronjob-reconcile.js';
import { reconcileDaemonSet } from './daemonset-reconcile.js';
import { reconcileDeployment } from './deployment-reconcile.js';
import { reconcileJob } from './job-reconcile.js';
import { reconcileReplicaSet } from './replicaset-reconcile.js';
import type { ControllerRunner } from './runner.js';
import { finishedAt, reconcileTtlAfterFinished } from './ttl-after-finished.js';
import { hasNodeShape } from './well-formed.js';

type Obj<T> = T & KubeObject;

/** Options of {@link registerWorkloadControllers}. */
export interface WorkloadControllerOptions {
  readonly clock: Clock;
  /** Workers of the CronJob controller (kube's --concurrent-cron-job-syncs). @default 5 */
  readonly cronJobWorkers?: number;
  /** Runs the garbage collector shortly (an object went away). */
  readonly gcSoon: () => void;
}

/** An informer and the controller that reconciles each of its objects, for the first full pass. */
export type ResyncPair = readonly [Informer<KubeObject>, ControllerRunner];

/**
 * The ReplicaSet, Deployment, DaemonSet, Job and CronJob controllers: one work queue each, keyed by
 * the object, fed by its own informer and by its dependents (pods to their ReplicaSet, DaemonSet or
 * Job; ReplicaSets to their Deployment; Jobs to their CronJob; revisions and Nodes to DaemonSets).
 */
export function registerWorkloadControllers(
  deps: ControllerDeps,
  options: WorkloadControllerOptions,
): ResyncPair[] {
  const { informers: inf, make, apply } = deps;
  const { clock, gcSoon } = options;
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
  const toOwner = (runner: ControllerRunner, kind: string) => ({
    onAdd: (o: KubeObject) => enqueueOwner(runner, o, kind),
    onUpdate: (o: KubeObject) => enqueueOwner(runner, o, kind),
    onDelete: (o: KubeObject) => enqueueOwner(runner, o, kind),
  });
  inf.controllerrevisions.addHandlers(toOwner(dsController, 'DaemonSet'));
  inf.jobs.addHandlers(toOwner(cronJobController, 'CronJob'));

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
    onAdd: allDaemonSets,
    onDelete: allDaemonSets,
    onUpdate: (n, old) => {
      const a = n as Node;
      const b = old as Node;
      if (JSON.stringify([a.metadata.labels, a.spec]) !== JSON.stringify([b.metadata.labels, b.spec]))
        allDaemonSets();
    },
  });
  return [
    [inf.replicasets, rsController],
    [inf.deployments, deployController],
    [inf.daemonsets, dsController],
    [inf.jobs, jobController],
    [inf.cronjobs, cronJobController],
  ];
}
