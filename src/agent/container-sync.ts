import type { Container, Pod } from '../kube/index.js';
import { restartDelayMs, retryDelayMs } from './backoff.js';
import { resolveEnv } from './container-env.js';
import { type ContainerRecord, newContainerRecord } from './container-state.js';
import { buildLaunch } from './launch.js';
import type { NetworkMode, RuntimeContainer } from './runtime/types.js';
import { ImagePullError } from './runtime/types.js';
import { type PodRecord, podKey, type SyncContext, type SyncedContainer } from './sync-context.js';

/**
 * One container's part of a sync pass: start it when missing, restart it per restartPolicy with
 * crash-loop back-off, keep its probe workers while it runs, and say what its status should show.
 */
export class ContainerSync {
  constructor(private readonly ctx: SyncContext) {}

  /**
   * Reconciles container `spec` of `rec`'s pod against its runtime attempts. `network` is
   * undefined while the pod's network (its first container) is not up yet. A running container's
   * probe workers are started (and target `sandboxIP`, the pod's address, when known, else the
   * container's own); a container that is not running has none.
   */
  async sync(
    rec: PodRecord,
    spec: Container,
    actual: readonly RuntimeContainer[],
    network: NetworkMode | undefined,
    sandboxIP: string | undefined,
  ): Promise<SyncedContainer> {
    const { runtime } = this.ctx.options;
    const pod = rec.pod;
    const attempts = actual
      .filter((c) => c.containerName === spec.name)
      .sort((a, b) => b.attempt - a.attempt);
    for (const old of attempts.slice(2)) await runtime.remove(old.id);
    let [current, previous] = attempts;
    const cr = this.containerRecord(rec, spec.name);
    if (current?.state === 'created') {
      await runtime.remove(current.id);
      current = undefined;
    }
    if (current && cr.containerId !== current.id) seen(cr, current);
    let willRestart = false;
    if (rec.volumeError) {
      cr.waiting = { reason: 'ContainerCreating', message: rec.volumeError };
    } else if (!current) {
      if (!network) cr.waiting = { reason: 'ContainerCreating', message: 'waiting for the pod network' };
      else if (this.ctx.now() >= cr.nextAttemptAt) current = await this.start(rec, cr, spec, 0, network);
      else if (cr.waiting?.reason === 'ErrImagePull')
        cr.waiting = { ...cr.waiting, reason: 'ImagePullBackOff' };
    } else if (current.state === 'running') {
      this.ctx.probes.track(podUid(pod), spec, current, sandboxIP ?? current.ip ?? '127.0.0.1');
    } else {
      willRestart = restartable(pod, current);
      if (willRestart && network) {
        const started = Date.parse(current.startedAt ?? '') || 0;
        const finished = Date.parse(current.finishedAt ?? '') || this.ctx.now();
        const delay = restartDelayMs(current.attempt, finished - started, this.ctx.options.backoff);
        if (this.ctx.now() >= Math.max(finished + delay, cr.nextAttemptAt)) {
          if (previous) await runtime.remove(previous.id);
          previous = current;
          const next = await this.start(rec, cr, spec, current.attempt + 1, network);
          if (next) {
            current = next;
            willRestart = false;
            this.ctx.emit('agent.container.restarted', `restarted ${spec.name} of ${podKey(pod)}`, {
              restartCount: next.attempt,
            });
          } else {
            current = previous;
          }
        } else {
          cr.waiting = {
            reason: 'CrashLoopBackOff',
            message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${spec.name} pod=${podKey(pod)}`,
          };
        }
      }
    }
    if (current?.state !== 'running') this.ctx.probes.untrack(podUid(pod), spec.name);
    if (current?.state === 'exited') willRestart = restartable(pod, current);
    return {
      spec,
      current,
      previous: current === previous ? undefined : previous,
      waiting: cr.waiting,
      willRestart,
    };
  }

  private containerRecord(rec: PodRecord, name: string): ContainerRecord {
    let cr = rec.containers.get(name);
    if (!cr) {
      cr = newContainerRecord();
      rec.containers.set(name, cr);
    }
    return cr;
  }

  private async start(
    rec: PodRecord,
    cr: ContainerRecord,
    spec: Container,
    attempt: number,
    network: NetworkMode,
  ): Promise<RuntimeContainer | undefined> {
    const { runtime, client } = this.ctx.options;
    try {
      await runtime.ensureImage(spec.image, spec.imagePullPolicy ?? 'IfNotPresent');
    } catch (err) {
      if (!(err instanceof ImagePullError)) throw err;
      return this.failStart(rec, cr, spec, 'ErrImagePull', err.message);
    }
    let launch: ReturnType<typeof buildLaunch>;
    try {
      const env = await resolveEnv(rec.pod, spec, client, { hostIP: this.ctx.options.hostIP() });
      launch = buildLaunch({
        pod: rec.pod,
        container: spec,
        attempt,
        env,
        volumePaths: rec.volumePaths ?? new Map(),
        network,
        extraMounts: rec.mounts,
      });
    } catch (err) {
      return this.failStart(rec, cr, spec, 'CreateContainerConfigError', (err as Error).message);
    }
    try {
      const c = await runtime.start(launch);
      cr.failures = 0;
      cr.nextAttemptAt = 0;
      seen(cr, c);
      this.ctx.emit('agent.container.started', `started ${spec.name} of ${podKey(rec.pod)}`, {
        id: c.id,
        attempt,
      });
      this.ctx.record(rec.pod, {
        type: 'Normal',
        reason: 'Started',
        message: `Started container ${spec.name}`,
        container: spec.name,
      });
      return c;
    } catch (err) {
      return this.failStart(rec, cr, spec, 'RunContainerError', (err as Error).message);
    }
  }

  private failStart(
    rec: PodRecord,
    cr: ContainerRecord,
    spec: Container,
    reason: string,
    message: string,
  ): undefined {
    this.ctx.record(rec.pod, {
      type: 'Warning',
      reason: 'Failed',
      message: `${reason}: ${message}`,
      container: spec.name,
    });
    cr.failures++;
    cr.nextAttemptAt = this.ctx.now() + retryDelayMs(cr.failures, this.ctx.options.backoff);
    cr.waiting = { reason, message };
    this.ctx.options.events.emit({
      code: 'agent.container.failed',
      level: 'warn',
      message,
      data: { reason },
    });
    return undefined;
  }
}

/** A new runtime container: what the loop said about the previous one no longer applies. */
function seen(cr: ContainerRecord, c: RuntimeContainer): void {
  cr.containerId = c.id;
  cr.waiting = undefined;
}

function podUid(pod: Pod): string {
  return pod.metadata.uid ?? '';
}

/** Whether restartPolicy starts an exited container again. */
function restartable(pod: Pod, c: RuntimeContainer): boolean {
  const policy = pod.spec.restartPolicy ?? 'Always';
  return policy === 'Always' || (policy === 'OnFailure' && (c.exitCode ?? 0) !== 0);
}
