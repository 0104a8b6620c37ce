import type { ProbeFailure } from './probe-manager.js';
import { type PodRecord, podKey, type SyncContext } from './sync-context.js';

/**
 * A liveness or startup probe failed failureThreshold times: records Unhealthy and Killing on the
 * pod (as the kubelet words them), stops the container with the pod's grace period, then calls
 * `done` so the sync loop restarts it per restartPolicy without waiting for its next tick.
 */
export function restartUnhealthy(
  ctx: SyncContext,
  rec: PodRecord,
  failure: ProbeFailure,
  done: () => void,
): void {
  const { containerName: name, kind, message, containerId } = failure;
  const Kind = kind === 'liveness' ? 'Liveness' : 'Startup';
  ctx.emit(
    'agent.container.unhealthy',
    `${kind} probe of ${name} in ${podKey(rec.pod)} failed: ${message}; restarting`,
    { id: containerId },
  );
  ctx.record(rec.pod, {
    type: 'Warning',
    reason: 'Unhealthy',
    message: `${Kind} probe failed: ${message}`,
    container: name,
  });
  ctx.record(rec.pod, {
    type: 'Normal',
    reason: 'Killing',
    message: `Container ${name} failed ${kind} probe, will be restarted`,
    container: name,
  });
  ctx.options.runtime
    .stop(containerId, rec.pod.spec.terminationGracePeriodSeconds ?? 30)
    .catch((err) => ctx.emitError(rec.pod, err))
    .finally(done);
}
