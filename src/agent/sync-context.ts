import type { CoalescingRunner } from '../coalescing-runner.js';
import type { Pod, PodStatus } from '../kube/index.js';
import type { ContainerRecord } from './container-state.js';
import { type PodEvent, recordPodEvent } from './pod-events.js';
import type { ContainerView } from './pod-status.js';
import type { PodSyncOptions } from './pod-sync.js';
import type { ProbeManager } from './probe-manager.js';
import type { Mount } from './runtime/types.js';

/** What the pod sync loop remembers about one pod between passes. */
export interface PodRecord {
  pod: Pod;
  volumePaths?: Map<string, string>;
  /** Mounts from the pod network (its /etc/hosts) every container gets. */
  mounts?: readonly Mount[];
  volumeError?: string;
  /** When the projected service-account tokens are next refreshed (ms since the epoch). */
  tokenRefreshAt?: number;
  containers: Map<string, ContainerRecord>;
  terminating?: Promise<void>;
  /** The containers as the last pass saw them; probe results are merged in when status is built. */
  views?: readonly SyncedContainer[];
  podIP?: string;
  /** Serializes and coalesces this pod's status writes (sync passes and probe results). */
  statusWriter?: CoalescingRunner;
  lastStatus?: string;
  terminal?: boolean;
  startTime: string;
}

/** A container as a sync pass saw it; ready and started come from the prober. */
export type SyncedContainer = Omit<ContainerView, 'ready' | 'started'>;

/**
 * What the parts of the pod sync loop share: their options, the clock, the prober, and how they
 * report — agent events for the operator and Kubernetes Events on the pod for `kubectl describe`.
 */
export class SyncContext {
  /** Milliseconds since the epoch. */
  readonly now: () => number;

  constructor(
    readonly options: PodSyncOptions,
    readonly probes: ProbeManager,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Emits an info-level agent event. */
  emit(code: string, message: string, data: Record<string, unknown>): void {
    this.options.events.emit({ code, level: 'info', message, data });
  }

  /** Emits a warning that syncing `pod` failed; the next pass tries again. */
  emitError(pod: Pod, err: unknown): void {
    const message = `syncing ${podKey(pod)} failed: ${err instanceof Error ? err.message : String(err)}`;
    this.options.events.emit({ code: 'agent.sync.error', level: 'warn', message, data: {} });
  }

  /** Records a Kubernetes Event on the pod, in the background (best effort). */
  record(pod: Pod, event: PodEvent): void {
    const { client, nodeName, events } = this.options;
    void recordPodEvent(client, pod, event, nodeName, new Date(this.now()).toISOString()).then((err) => {
      if (err)
        events.emit({
          code: 'agent.event.error',
          level: 'debug',
          message: `recording event failed: ${(err as Error).message}`,
          data: {},
        });
    });
  }
}

/** True for the phases a pod never leaves. */
export function isTerminal(phase: PodStatus['phase']): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** `namespace/name` of a pod, for messages. */
export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
}
