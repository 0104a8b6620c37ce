import type { Condition, Container, ContainerState, ContainerStatus, Pod, PodStatus } from '../kube/index.js';
import type { RuntimeContainer } from './runtime/types.js';

/** What the agent knows about one container of a pod, for status reporting. */
export interface ContainerView {
  readonly spec: Container;
  /** The latest attempt in the runtime. */
  readonly current?: RuntimeContainer;
  /** The attempt before it, kept for `logs --previous` and `lastState`. */
  readonly previous?: RuntimeContainer;
  /** Why the container is not running (ContainerCreating, ErrImagePull, CrashLoopBackOff, ...). */
  readonly waiting?: { readonly reason: string; readonly message?: string };
  readonly ready: boolean;
  /** False while a startup probe has not succeeded. @default whether `current` runs */
  readonly started?: boolean;
  /** True when `current` has exited and the restart policy will start it again. */
  readonly willRestart: boolean;
}

/** Inputs of `buildPodStatus` besides the containers. */
export interface PodStatusContext {
  readonly runtimeName: string;
  readonly hostIP: string;
  readonly podIP?: string;
  readonly startTime: string;
  /** Used for lastTransitionTime of conditions that change now. */
  readonly now: string;
}

function terminated(c: RuntimeContainer, runtimeName: string): ContainerState {
  const exitCode = c.exitCode ?? 0;
  const reason = c.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
  return {
    terminated: {
      exitCode,
      reason,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

function containerStatus(v: ContainerView, runtimeName: string): ContainerStatus {
  const c = v.current;
  let state: ContainerState;
  let lastState: ContainerState = v.previous ? terminated(v.previous, runtimeName) : {};
  if (!c || c.state === 'created') {
    state = { waiting: { reason: v.waiting?.reason ?? 'ContainerCreating', message: v.waiting?.message } };
  } else if (c.state === 'running') {
    state = { running: { startedAt: c.startedAt } };
  } else if (v.willRestart) {
    state = { waiting: { reason: v.waiting?.reason ?? 'CrashLoopBackOff', message: v.waiting?.message } };
    lastState = terminated(c, runtimeName);
  } else {
    state = terminated(c, runtimeName);
  }
  return {
    name: v.spec.name,
    state,
    lastState,
    ready: v.ready && c?.state === 'running',
    started: c?.state === 'running' && (v.started ?? true),
    restartCount: c?.attempt ?? 0,
    image: v.spec.image,
    imageID: c?.imageId ?? '',
    ...(c ? { containerID: `${runtimeName}://${c.id}` } : {}),
  };
}

/** The pod phase from its containers, as the kubelet derives it. Pure. */
export function podPhase(views: readonly ContainerView[]): NonNullable<PodStatus['phase']> {
  if (views.some((v) => !v.current || v.current.state === 'created')) return 'Pending';
  if (views.some((v) => v.current?.state === 'running' || v.willRestart)) return 'Running';
  return views.every((v) => (v.current?.exitCode ?? 0) === 0) ? 'Succeeded' : 'Failed';
}

/** The pod conditions the agent sets (kube's PodConditionByKubelet). */
const agentConditions = new Set(['Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

/**
 * Builds a pod's status from what the runtime and probes report. Conditions keep their
 * lastTransitionTime from `pod.status` unless their status changes; conditions the agent does not
 * own are carried over. Pure.
 */
export function buildPodStatus(pod: Pod, views: readonly ContainerView[], ctx: PodStatusContext): PodStatus {
  const statuses = views.map((v) => containerStatus(v, ctx.runtimeName));
  const allReady = statuses.length > 0 && statuses.every((s) => s.ready);
  const phase = podPhase(views);
  const previous = new Map((pod.status?.conditions ?? []).map((c) => [c.type, c]));
  const condition = (type: string, ok: boolean, reason?: string): Condition => {
    const status = ok ? 'True' : 'False';
    const before = previous.get(type);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime:
        before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : ctx.now,
      ...(ok || !reason ? {} : { reason }),
    };
  };
  const notReady = phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady';
  // As the kubelet: conditions it does not own (DisruptionTarget from an eviction, readiness gates)
  // are kept as the API server or their controller wrote them.
  const others = (Array.isArray(pod.status?.conditions) ? pod.status.conditions : []).filter(
    (c) => typeof c === 'object' && c !== null && !agentConditions.has(c.type),
  );
  return {
    phase,
    conditions: [
      condition('Initialized', true),
      condition('Ready', allReady, notReady),
      condition('ContainersReady', allReady, notReady),
      condition('PodScheduled', true),
      ...others,
    ],
    hostIP: ctx.hostIP,
    ...(ctx.podIP ? { podIP: ctx.podIP, podIPs: [{ ip: ctx.podIP }] } : {}),
    startTime: ctx.startTime,
    containerStatuses: statuses,
  };
}
