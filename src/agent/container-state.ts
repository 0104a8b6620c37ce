import type { Container } from '../kube/index.js';
import { type ProbeTarget, runProbe } from './probes.js';
import type { RuntimeContainer } from './runtime/types.js';

/** What the pod sync loop remembers about one container of a pod between passes. */
export interface ContainerRecord {
  /** The runtime container the probe state below belongs to. */
  containerId?: string;
  /** Why the container is not running, when the loop knows better than the runtime. */
  waiting?: { reason: string; message?: string };
  /** Consecutive failed start attempts (pull, config, create). */
  failures: number;
  /** No start attempt before this time (ms). */
  nextAttemptAt: number;
  ready: boolean;
  readyOk: number;
  readyFail: number;
  liveFail: number;
  nextReadinessAt: number;
  nextLivenessAt: number;
  /** When this running container's next probe is due (ms); undefined when it has none to run. */
  nextProbeAt?: number;
  /** Set while a liveness kill is in flight. */
  killing?: Promise<void>;
}

/** A fresh record for a container never seen before. */
export function newContainerRecord(): ContainerRecord {
  return {
    failures: 0,
    nextAttemptAt: 0,
    ready: false,
    readyOk: 0,
    readyFail: 0,
    liveFail: 0,
    nextReadinessAt: 0,
    nextLivenessAt: 0,
  };
}

/** Starts probe bookkeeping over for a new (or newly adopted) runtime container. */
export function resetProbes(cr: ContainerRecord, c: RuntimeContainer, spec: Container, nowMs: number): void {
  const started = Date.parse(c.startedAt ?? '') || nowMs;
  cr.containerId = c.id;
  cr.ready = false;
  cr.readyOk = 0;
  cr.readyFail = 0;
  cr.liveFail = 0;
  cr.nextReadinessAt = started + (spec.readinessProbe?.initialDelaySeconds ?? 0) * 1000;
  cr.nextLivenessAt = started + (spec.livenessProbe?.initialDelaySeconds ?? 0) * 1000;
  cr.waiting = undefined;
}

/**
 * Runs the readiness and liveness probes that are due (periodSeconds, initialDelaySeconds),
 * updating `ready` after successThreshold successes or failureThreshold failures, and calls
 * `onLivenessFailure` once liveness has failed failureThreshold times in a row. Sets `nextProbeAt`,
 * the time the sync loop must run again for these probes to keep their period.
 */
export async function runDueProbes(
  cr: ContainerRecord,
  spec: Container,
  target: ProbeTarget,
  nowMs: number,
  onLivenessFailure: (message: string) => void,
): Promise<void> {
  const tasks: Promise<void>[] = [];
  const readiness = spec.readinessProbe;
  if (!readiness) cr.ready = true;
  else if (nowMs >= cr.nextReadinessAt) {
    cr.nextReadinessAt = nowMs + (readiness.periodSeconds ?? 10) * 1000;
    tasks.push(
      runProbe(readiness, target).then((r) => {
        if (r.ok) {
          cr.readyFail = 0;
          if (++cr.readyOk >= (readiness.successThreshold ?? 1)) cr.ready = true;
        } else {
          cr.readyOk = 0;
          if (++cr.readyFail >= (readiness.failureThreshold ?? 3)) cr.ready = false;
        }
      }),
    );
  }
  const liveness = spec.livenessProbe;
  if (liveness && !cr.killing && nowMs >= cr.nextLivenessAt) {
    cr.nextLivenessAt = nowMs + (liveness.periodSeconds ?? 10) * 1000;
    tasks.push(
      runProbe(liveness, target).then((r) => {
        if (r.ok) cr.liveFail = 0;
        else if (++cr.liveFail >= (liveness.failureThreshold ?? 3)) onLivenessFailure(r.message);
      }),
    );
  }
  await Promise.all(tasks);
  const due = [
    ...(readiness ? [cr.nextReadinessAt] : []),
    ...(liveness && !cr.killing ? [cr.nextLivenessAt] : []),
  ];
  cr.nextProbeAt = due.length > 0 ? Math.min(...due) : undefined;
}
