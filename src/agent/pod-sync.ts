import { ApiError, isNotFound } from '../client/api-error.js';
import type { KubeClient } from '../client/client.js';
import { resources } from '../client/types.js';
import type { EventSink } from '../events.js';
import type { Container, Pod, PodStatus, WatchEvent } from '../kube/index.js';
import { type BackoffOptions, restartDelayMs, retryDelayMs } from './backoff.js';
import { resolveEnv } from './container-env.js';
import { type ContainerRecord, newContainerRecord, resetProbes, runDueProbes } from './container-state.js';
import { buildLaunch } from './launch.js';
import { type PodEvent, recordPodEvent } from './pod-events.js';
import { buildPodStatus, type ContainerView } from './pod-status.js';
import type { NetworkMode, Runtime, RuntimeContainer } from './runtime/types.js';
import { ImagePullError } from './runtime/types.js';
import { cleanupVolumes, prepareVolumes } from './volumes.js';

/** Options of the pod sync loop. */
export interface PodSyncOptions {
  readonly nodeName: string;
  readonly client: KubeClient;
  readonly runtime: Runtime;
  readonly dataDir: string;
  readonly events: EventSink;
  /** The node's InternalIP, reported as the pods' hostIP. */
  readonly hostIP: () => string;
  /** Crash-loop and pull back-off. @default kubelet's: 10 s doubling to 5 min */
  readonly backoff?: BackoffOptions;
  /** Grace period for containers whose pod no longer exists. @default 10 */
  readonly orphanGraceSeconds?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
}

interface PodRecord {
  pod: Pod;
  volumePaths?: Map<string, string>;
  volumeError?: string;
  containers: Map<string, ContainerRecord>;
  terminating?: Promise<void>;
  lastStatus?: string;
  terminal?: boolean;
  startTime: string;
}

/**
 * Reconciles the pods bound to this node against the runtime's containers, like the kubelet's
 * sync loop: starts missing containers, restarts exited ones per restartPolicy with back-off,
 * runs probes, reports status, terminates deleted pods gracefully and removes orphans. Running
 * containers found in the runtime (after an agent restart) are adopted by their labels.
 */
export class PodSync {
  private readonly desired = new Map<string, Pod>();
  private readonly records = new Map<string, PodRecord>();
  private listed = false;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly now: () => number;

  constructor(private readonly options: PodSyncOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Replaces the desired set with a full list (after a list or relist). */
  replacePods(pods: readonly Pod[]): void {
    this.desired.clear();
    for (const p of pods) if (p.metadata.uid) this.desired.set(p.metadata.uid, p);
    this.listed = true;
  }

  /** Applies one watch event to the desired set. */
  applyEvent(event: WatchEvent<Pod>): void {
    const uid = event.object.metadata.uid;
    if (!uid) return;
    if (event.type === 'DELETED') this.desired.delete(uid);
    else this.desired.set(uid, event.object);
  }

  /** Number of pods the agent currently manages. */
  get podCount(): number {
    return this.records.size;
  }

  /** Runs one reconcile pass; concurrent calls coalesce into one extra pass. */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.syncOnce();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Waits for in-flight terminations (used on shutdown and in tests). */
  async drain(): Promise<void> {
    await this.running;
    await Promise.all([...this.records.values()].map((r) => r.terminating));
  }

  private async syncOnce(): Promise<void> {
    if (!this.listed) return;
    const actual = await this.options.runtime.list();
    const byPod = new Map<string, RuntimeContainer[]>();
    for (const c of actual) byPod.set(c.podUid, [...(byPod.get(c.podUid) ?? []), c]);
    for (const [uid, pod] of this.desired) {
      const rec = this.records.get(uid);
      if (rec) rec.pod = pod;
      else
        this.records.set(uid, { pod, containers: new Map(), startTime: new Date(this.now()).toISOString() });
    }
    await Promise.all(
      [...this.records.entries()].map(async ([uid, rec]) => {
        try {
          if (!this.desired.has(uid) && !rec.terminating) {
            this.records.delete(uid);
            return;
          }
          await this.syncPod(rec, byPod.get(uid) ?? []);
        } catch (err) {
          this.emitError(rec.pod, err);
        }
      }),
    );
    for (const [uid, containers] of byPod) {
      if (this.records.has(uid)) continue;
      for (const c of containers) {
        await this.options.runtime.stop(c.id, this.options.orphanGraceSeconds ?? 10);
        await this.options.runtime.remove(c.id);
      }
      await cleanupVolumes(this.options.dataDir, uid);
      this.emit(
        'agent.pod.orphan-removed',
        `removed containers of pod ${containers[0]?.podNamespace}/${containers[0]?.podName} which no longer exists`,
        { uid },
      );
    }
  }

  private async syncPod(rec: PodRecord, actual: RuntimeContainer[]): Promise<void> {
    const pod = rec.pod;
    if (pod.metadata.deletionTimestamp) {
      rec.terminating ??= this.terminate(rec).catch((err) => {
        rec.terminating = undefined;
        this.emitError(pod, err);
      });
      return;
    }
    // A finished pod stays finished: its containers are never started again.
    if (rec.terminal || isTerminal(pod.status?.phase)) return;
    if (!rec.volumePaths) {
      try {
        rec.volumePaths = await prepareVolumes(pod, this.options.client, this.options.dataDir);
        rec.volumeError = undefined;
      } catch (err) {
        rec.volumeError = err instanceof Error ? err.message : String(err);
      }
    }
    const views: ContainerView[] = [];
    const hostNetwork = pod.spec.hostNetwork === true;
    let sandbox: RuntimeContainer | undefined;
    for (const [index, spec] of pod.spec.containers.entries()) {
      const attempts = actual
        .filter((c) => c.containerName === spec.name)
        .sort((a, b) => b.attempt - a.attempt);
      for (const old of attempts.slice(2)) await this.options.runtime.remove(old.id);
      let [current, previous] = attempts;
      const cr = this.containerRecord(rec, spec.name);
      if (current?.state === 'created') {
        await this.options.runtime.remove(current.id);
        current = undefined;
      }
      if (current && cr.containerId !== current.id) resetProbes(cr, current, spec, this.now());
      const network: NetworkMode | undefined = hostNetwork
        ? { mode: 'host' }
        : index === 0
          ? { mode: 'bridge' }
          : sandbox?.state === 'running'
            ? { mode: 'container', containerId: sandbox.id }
            : undefined;
      let willRestart = false;
      if (rec.volumeError) {
        cr.waiting = { reason: 'ContainerCreating', message: rec.volumeError };
      } else if (!current) {
        if (!network) cr.waiting = { reason: 'ContainerCreating', message: 'waiting for the pod network' };
        else if (this.now() >= cr.nextAttemptAt) current = await this.start(rec, cr, spec, 0, network);
        else if (cr.waiting?.reason === 'ErrImagePull')
          cr.waiting = { ...cr.waiting, reason: 'ImagePullBackOff' };
      } else if (current.state === 'running') {
        await this.probe(rec, cr, spec, current, sandbox?.ip ?? current.ip);
      } else {
        willRestart = this.restartable(pod, current);
        if (willRestart && network) {
          const started = Date.parse(current.startedAt ?? '') || 0;
          const finished = Date.parse(current.finishedAt ?? '') || this.now();
          const delay = restartDelayMs(current.attempt, finished - started, this.options.backoff);
          if (this.now() >= Math.max(finished + delay, cr.nextAttemptAt)) {
            if (previous) await this.options.runtime.remove(previous.id);
            previous = current;
            const next = await this.start(rec, cr, spec, current.attempt + 1, network);
            if (next) {
              current = next;
              willRestart = false;
              this.emit('agent.container.restarted', `restarted ${spec.name} of ${podKey(pod)}`, {
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
      if (current?.state === 'exited') willRestart = this.restartable(pod, current);
      if (index === 0) sandbox = current;
      views.push({
        spec,
        current,
        previous: current === previous ? undefined : previous,
        waiting: cr.waiting,
        ready: cr.ready,
        willRestart,
      });
    }
    const podIP = hostNetwork
      ? this.options.hostIP()
      : sandbox?.state === 'running'
        ? sandbox.ip
        : pod.status?.podIP;
    const status = buildPodStatus(pod, views, {
      runtimeName: this.options.runtime.name,
      hostIP: this.options.hostIP(),
      podIP,
      startTime: pod.status?.startTime ?? rec.startTime,
      now: new Date(this.now()).toISOString(),
    });
    await this.writeStatus(rec, status);
    for (const cr of rec.containers.values()) {
      if (cr.waiting?.reason === 'ErrImagePull') cr.waiting = { ...cr.waiting, reason: 'ImagePullBackOff' };
    }
  }

  private containerRecord(rec: PodRecord, name: string): ContainerRecord {
    let cr = rec.containers.get(name);
    if (!cr) {
      cr = newContainerRecord();
      rec.containers.set(name, cr);
    }
    return cr;
  }

  private restartable(pod: Pod, c: RuntimeContainer): boolean {
    const policy = pod.spec.restartPolicy ?? 'Always';
    return policy === 'Always' || (policy === 'OnFailure' && (c.exitCode ?? 0) !== 0);
  }

  private async start(
    rec: PodRecord,
    cr: ContainerRecord,
    spec: Container,
    attempt: number,
    network: NetworkMode,
  ): Promise<RuntimeContainer | undefined> {
    const { runtime, client } = this.options;
    try {
      await runtime.ensureImage(spec.image, spec.imagePullPolicy ?? 'IfNotPresent');
    } catch (err) {
      if (!(err instanceof ImagePullError)) throw err;
      return this.failStart(rec, cr, spec, 'ErrImagePull', err.message);
    }
    let launch: ReturnType<typeof buildLaunch>;
    try {
      const env = await resolveEnv(rec.pod, spec, client, { hostIP: this.options.hostIP() });
      launch = buildLaunch({
        pod: rec.pod,
        container: spec,
        attempt,
        env,
        volumePaths: rec.volumePaths ?? new Map(),
        network,
      });
    } catch (err) {
      return this.failStart(rec, cr, spec, 'CreateContainerConfigError', (err as Error).message);
    }
    try {
      const c = await runtime.start(launch);
      cr.failures = 0;
      cr.nextAttemptAt = 0;
      resetProbes(cr, c, spec, this.now());
      this.emit('agent.container.started', `started ${spec.name} of ${podKey(rec.pod)}`, {
        id: c.id,
        attempt,
      });
      this.record(rec.pod, {
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
    this.record(rec.pod, {
      type: 'Warning',
      reason: 'Failed',
      message: `${reason}: ${message}`,
      container: spec.name,
    });
    cr.failures++;
    cr.nextAttemptAt = this.now() + retryDelayMs(cr.failures, this.options.backoff);
    cr.waiting = { reason, message };
    this.options.events.emit({ code: 'agent.container.failed', level: 'warn', message, data: { reason } });
    return undefined;
  }

  private async probe(
    rec: PodRecord,
    cr: ContainerRecord,
    spec: Container,
    c: RuntimeContainer,
    ip: string | undefined,
  ): Promise<void> {
    const target = {
      runtime: this.options.runtime,
      containerId: c.id,
      podIP: ip ?? '127.0.0.1',
      container: spec,
    };
    await runDueProbes(cr, spec, target, this.now(), (message) => {
      this.emit(
        'agent.container.unhealthy',
        `liveness probe of ${spec.name} in ${podKey(rec.pod)} failed: ${message}; restarting`,
        { id: c.id },
      );
      this.record(rec.pod, {
        type: 'Warning',
        reason: 'Unhealthy',
        message: `Liveness probe failed: ${message}`,
        container: spec.name,
      });
      this.record(rec.pod, {
        type: 'Normal',
        reason: 'Killing',
        message: `Container ${spec.name} failed liveness probe, will be restarted`,
        container: spec.name,
      });
      cr.killing = this.options.runtime
        .stop(c.id, rec.pod.spec.terminationGracePeriodSeconds ?? 30)
        .catch((err) => this.emitError(rec.pod, err))
        .finally(() => {
          cr.killing = undefined;
        });
    });
  }

  private async writeStatus(rec: PodRecord, status: PodStatus): Promise<void> {
    const text = JSON.stringify(status);
    if (text === rec.lastStatus) return;
    const pod = rec.pod;
    try {
      await this.options.client.patch(
        resources.pods,
        pod.metadata.name ?? '',
        { status },
        {
          namespace: pod.metadata.namespace,
          subresource: 'status',
        },
      );
      rec.lastStatus = text;
      rec.pod = { ...pod, status };
      rec.terminal = isTerminal(status.phase);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  private async terminate(rec: PodRecord): Promise<void> {
    const pod = rec.pod;
    const uid = pod.metadata.uid ?? '';
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    const mine = (await this.options.runtime.list()).filter((c) => c.podUid === uid);
    for (const c of mine.filter((x) => x.state === 'running')) {
      this.record(pod, {
        type: 'Normal',
        reason: 'Killing',
        message: `Stopping container ${c.containerName}`,
        container: c.containerName,
      });
    }
    await Promise.all(
      mine.filter((c) => c.state === 'running').map((c) => this.options.runtime.stop(c.id, grace)),
    );
    for (const c of mine) await this.options.runtime.remove(c.id);
    await cleanupVolumes(this.options.dataDir, uid);
    try {
      await this.options.client.delete(resources.pods, pod.metadata.name ?? '', {
        namespace: pod.metadata.namespace,
        gracePeriodSeconds: 0,
        uid,
      });
    } catch (err) {
      if (!isNotFound(err) && !(err instanceof ApiError && err.status === 409)) throw err;
    }
    this.desired.delete(uid);
    this.records.delete(uid);
    this.emit('agent.pod.terminated', `terminated ${podKey(pod)}`, { uid, grace });
  }

  /** Records a Kubernetes Event on the pod, in the background (best effort). */
  private record(pod: Pod, event: PodEvent): void {
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

  private emit(code: string, message: string, data: Record<string, unknown>): void {
    this.options.events.emit({ code, level: 'info', message, data });
  }

  private emitError(pod: Pod, err: unknown): void {
    const message = `syncing ${podKey(pod)} failed: ${err instanceof Error ? err.message : String(err)}`;
    this.options.events.emit({ code: 'agent.sync.error', level: 'warn', message, data: {} });
  }
}

function isTerminal(phase: PodStatus['phase']): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
}
