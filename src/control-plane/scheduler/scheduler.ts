import { isStatus } from '../../client/api-error.js';
import type { EventSink } from '../../events.js';
import { silentEvents } from '../../events.js';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../kube/index.js';
import type { ControllerApi } from '../machinery/api.js';
import { type Clock, formatTime, systemClock } from '../machinery/clock.js';
import { EventRecorder } from '../machinery/event-recorder.js';
import type { InformerSet } from '../machinery/informers.js';
import { getCondition, isPodActive, keyOf } from '../machinery/objects.js';
import { resourceTypes } from '../machinery/resources.js';
import { SELECTED_NODE } from '../machinery/volume-matching.js';
import { type NodeInfo, SchedulerCache } from './cache.js';
import { podShapeProblem } from './pod-shape.js';
import { type SelectNodeOptions, type SelectState, selectNode } from './select-node.js';
import { filterVolumes, podVolumes, type VolumeLookup } from './volumes.js';

/** The VolumeBinding lookups over the informer caches, when the scheduler was given them. */
function volumeLookup(informers: SchedulerOptions['informers']): VolumeLookup | undefined {
  const { persistentvolumeclaims: claims, persistentvolumes: volumes, storageclasses: classes } = informers;
  if (!claims || !volumes || !classes) return undefined;
  return {
    claim: (ns, name) => claims.get(`${ns}/${name}`) as PersistentVolumeClaim | undefined,
    volume: (name) => volumes.get(name) as PersistentVolume | undefined,
    storageClass: (name) => classes.get(name) as StorageClass | undefined,
    volumes: () => volumes.list() as PersistentVolume[],
  };
}

/** Name pods use in `spec.schedulerName` to ask for this scheduler. */
export const schedulerName = 'default-scheduler';

export interface SchedulerOptions extends SelectNodeOptions {
  readonly api: ControllerApi;
  /** Pods and nodes; with claims, volumes and classes the VolumeBinding filter runs too. */
  readonly informers: Pick<InformerSet, 'pods' | 'nodes'> &
    Partial<Pick<InformerSet, 'persistentvolumeclaims' | 'persistentvolumes' | 'storageclasses'>>;
  /** @default the system clock */
  readonly clock?: Clock;
  readonly events?: EventSink;
  readonly recorder?: EventRecorder;
  /** Bindings in flight at once. @default 32 */
  readonly bindConcurrency?: number;
  /** Unschedulable pods are retried at least this often, besides on cluster changes. @default 30000 */
  readonly unschedulableRetryMs?: number;
  /** Record a `Scheduled` Event per bound pod. @default true */
  readonly scheduledEvents?: boolean;
}

/** A running scheduler. */
export interface Scheduler {
  stop(): Promise<void>;
  /** Pods bound since start. */
  readonly bound: number;
}

/** The node a pod is bound to; a malformed (non-string) value reads as bound to nothing usable. */
function nodeNameOf(pod: Pod): string | undefined {
  const n: unknown = pod.spec?.nodeName;
  return typeof n === 'string' && n ? n : undefined;
}

function wantsUs(pod: Pod): boolean {
  const name = pod.spec?.schedulerName;
  return pod.spec?.nodeName === undefined && (!name || name === schedulerName) && isPodActive(pod);
}

/**
 * Binds pending pods to nodes: keeps the SchedulerCache in step with the pod and node informers,
 * picks nodes with `selectNode`, assumes the pod on the node at once (so the next decision sees
 * it) and binds asynchronously; a failed bind forgets the assumption and retries. Pods that fit
 * nowhere get PodScheduled=False with kube-scheduler's message and a FailedScheduling Event, and
 * are retried when nodes or pods change.
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const { api } = options;
  const { pods, nodes } = options.informers;
  const lookup = volumeLookup(options.informers);
  const clock = options.clock ?? systemClock;
  const events = options.events ?? silentEvents;
  const recorder = options.recorder ?? new EventRecorder(api, schedulerName, clock, events);
  const cache = new SchedulerCache();
  const state: SelectState = { next: 0 };
  const active = new Map<string, Pod>();
  const unschedulable = new Map<string, Pod>();
  // Last message reported per pod uid: a pod whose status cannot be written (a malformed one
  // answers 422) would otherwise be re-reported on every retry.
  const reported = new Map<string, string>();
  const limit = options.bindConcurrency ?? 32;
  let inFlight = 0;
  let stopped = false;
  let bound = 0;
  let decisions = 0;
  let wake: (() => void) | undefined;
  const kick = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const retryAll = () => {
    for (const [k, p] of unschedulable) active.set(k, p);
    unschedulable.clear();
    kick();
  };

  const trackPod = (p: Pod) => {
    const key = keyOf(p);
    const nodeName = nodeNameOf(p);
    if (nodeName && isPodActive(p)) {
      cache.addPod(key, p, nodeName);
      active.delete(key);
      unschedulable.delete(key);
    } else {
      if (cache.hasPod(key) && !nodeName) return;
      cache.removePod(key);
      if (wantsUs(p)) {
        if (!unschedulable.has(key)) active.set(key, p);
        else unschedulable.set(key, p);
        kick();
      } else {
        active.delete(key);
        unschedulable.delete(key);
      }
    }
  };
  nodes.addHandlers({
    onAdd: (n) => {
      cache.setNode(n as Node);
      retryAll();
    },
    onUpdate: (n) => {
      cache.setNode(n as Node);
      retryAll();
    },
    onDelete: (n) => cache.removeNode(n.metadata.name ?? ''),
  });
  pods.addHandlers({
    onAdd: (p) => trackPod(p as Pod),
    onUpdate: (p) => trackPod(p as Pod),
    onDelete: (p) => {
      const key = keyOf(p);
      reported.delete(p.metadata.uid ?? key);
      active.delete(key);
      unschedulable.delete(key);
      if (cache.hasPod(key)) {
        cache.removePod(key);
        retryAll();
      }
    },
  });
  for (const inf of [
    options.informers.persistentvolumeclaims,
    options.informers.persistentvolumes,
    options.informers.storageclasses,
  ])
    inf?.addHandlers({ onAdd: retryAll, onUpdate: retryAll });
  for (const n of nodes.list()) cache.setNode(n as Node);
  for (const p of pods.list()) trackPod(p as Pod);

  const markUnschedulable = async (pod: Pod, message: string) => {
    const prev = getCondition(pod.status?.conditions, 'PodScheduled');
    if (prev?.status === 'False' && prev.message === message) return;
    const uid = pod.metadata.uid ?? keyOf(pod);
    if (reported.get(uid) === message) return;
    reported.delete(uid);
    reported.set(uid, message);
    if (reported.size > 10_000) reported.delete(reported.keys().next().value as string);
    const before: unknown = pod.status?.conditions;
    const condition = {
      type: 'PodScheduled',
      status: 'False' as const,
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime: formatTime(clock.now()),
    };
    const kept = Array.isArray(before) ? before.filter((c) => c?.type !== 'PodScheduled') : [];
    const conditions = [...kept, condition];
    try {
      await api.patch(
        resourceTypes.pods,
        pod.metadata.namespace,
        pod.metadata.name ?? '',
        { status: { conditions, phase: 'Pending' } },
        { subresource: 'status' },
      );
    } catch (err) {
      if (!isStatus(err, 404))
        events.emit({ code: 'scheduler.status.failed', level: 'debug', message: String(err) });
    }
    await recorder.record(pod, 'Warning', 'FailedScheduling', message);
  };

  const bind = async (key: string, pod: Pod, node: string, delayed: readonly PersistentVolumeClaim[]) => {
    try {
      // WaitForFirstConsumer: name the chosen node on each unbound claim, so the volume binder
      // binds (or provisions) a volume there before the agent mounts it.
      for (const claim of delayed) {
        if (claim.metadata.annotations?.[SELECTED_NODE] === node) continue;
        await api.patch(
          resourceTypes.persistentvolumeclaims,
          claim.metadata.namespace,
          claim.metadata.name ?? '',
          {
            metadata: { annotations: { [SELECTED_NODE]: node } },
          },
        );
      }
      await api.bind(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', node, pod.metadata.uid);
      bound++;
      if (getCondition(pod.status?.conditions, 'PodScheduled')?.status === 'False') {
        // It was reported unschedulable before: say it is scheduled now (kube-apiserver's binding does this).
        const conditions = (pod.status?.conditions ?? []).map((c) =>
          c?.type === 'PodScheduled'
            ? { type: 'PodScheduled', status: 'True' as const, lastTransitionTime: formatTime(clock.now()) }
            : c,
        );
        void api
          .patch(
            resourceTypes.pods,
            pod.metadata.namespace,
            pod.metadata.name ?? '',
            { status: { conditions } },
            { subresource: 'status' },
          )
          .catch(() => undefined);
      }
      if (options.scheduledEvents !== false) {
        void recorder.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${node}`);
      }
    } catch (err) {
      cache.removePod(key);
      if (!isStatus(err, 404) && !isStatus(err, 409)) {
        events.emit({
          code: 'scheduler.bind.failed',
          level: 'debug',
          message: `bind ${key} to ${node}: ${String(err)}`,
        });
        const current = pods.get(key) as Pod | undefined;
        if (current && wantsUs(current)) {
          const t = setTimeout(() => {
            active.set(key, current);
            kick();
          }, 500);
          t.unref?.();
        }
      }
    } finally {
      inFlight--;
      kick();
    }
  };

  /**
   * One scheduling attempt, isolated: a pod the scheduler cannot read (or any other failure of
   * this attempt) is parked as unschedulable with a FailedScheduling event and retried on the
   * next cluster change or retry period, like kube-scheduler's error path; the loop goes on.
   */
  const scheduleOne = (key: string, pod: Pod) => {
    try {
      const problem = podShapeProblem(pod);
      if (problem) {
        unschedulable.set(key, pod);
        void markUnschedulable(pod, `pod has an invalid field the scheduler reads: ${problem}`);
        return;
      }
      const vols = lookup ? podVolumes(pod, lookup) : undefined;
      if (vols && 'message' in vols) {
        unschedulable.set(key, pod);
        void markUnschedulable(pod, `0/${cache.nodeList().length} nodes are available: ${vols.message}.`);
        return;
      }
      const volumeFilter =
        lookup && vols && (vols.bound.length || vols.delayed.length || vols.missing.length)
          ? (info: NodeInfo) => filterVolumes(vols, info.node, lookup)
          : undefined;
      const result = selectNode(pod, cache, state, options, volumeFilter);
      if (result.ok) {
        cache.addPod(key, pod, result.node);
        inFlight++;
        void bind(key, pod, result.node, vols?.delayed ?? []);
      } else {
        unschedulable.set(key, pod);
        void markUnschedulable(pod, result.message);
      }
    } catch (err) {
      unschedulable.set(key, pod);
      const message = err instanceof Error ? err.message : String(err);
      events.emit({
        code: 'scheduler.attempt.failed',
        level: 'warn',
        message: `schedule ${key}: ${message}`,
      });
      void markUnschedulable(pod, `scheduling failed: ${message}`);
    }
  };

  const loop = async () => {
    while (!stopped) {
      const next = active.entries().next();
      if (next.done || inFlight >= limit) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      const [key, pod] = next.value;
      active.delete(key);
      scheduleOne(key, pod);
      if (++decisions % 64 === 0) await new Promise((r) => setImmediate(r));
    }
  };
  const running = loop();
  const retryTimer = setInterval(retryAll, options.unschedulableRetryMs ?? 30_000);
  retryTimer.unref?.();
  return {
    get bound() {
      return bound;
    },
    async stop() {
      stopped = true;
      clearInterval(retryTimer);
      kick();
      await running;
    },
  };
}
