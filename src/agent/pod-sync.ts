import type { KubeClient } from '../client/client.js';
import { CoalescingRunner } from '../coalescing-runner.js';
import type { EventSink } from '../events.js';
import type { Pod, WatchEvent } from '../kube/index.js';
import type { BackoffOptions } from './backoff.js';
import { ContainerSync } from './container-sync.js';
import { type PodSandboxes, SANDBOX_CONTAINER } from './network/pod-sandbox.js';
import { writePodStatus } from './pod-status-writer.js';
import { terminatePod } from './pod-terminate.js';
import { ProbeManager } from './probe-manager.js';
import { restartUnhealthy } from './probe-restart.js';
import type { ProjectedTokens } from './projected-volume.js';
import type { NetworkMode, Runtime, RuntimeContainer } from './runtime/types.js';
import { isTerminal, type PodRecord, podKey, SyncContext, type SyncedContainer } from './sync-context.js';
import { cleanupVolumes, prepareVolumes, refreshProjectedVolumes } from './volumes.js';

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
  /**
   * The pod network: each pod gets a sandbox with its own address that its containers join.
   * @default none: the first container carries the pod's network on the runtime's default bridge
   */
  readonly podNetwork?: PodSandboxes;
}

/**
 * Reconciles the pods bound to this node against the runtime's containers, like the kubelet's
 * sync loop: starts missing containers, restarts exited ones per restartPolicy with back-off,
 * keeps the probe workers of running containers, reports status, terminates deleted pods
 * gracefully and removes orphans. Running containers found in the runtime (after an agent
 * restart) are adopted by their labels. Probes run on their own timers (`ProbeManager`): a
 * readiness change writes the pod's status at once, without waiting for a pass.
 */
export class PodSync {
  private readonly desired = new Map<string, Pod>();
  private readonly records = new Map<string, PodRecord>();
  private listed = false;
  private readonly runner = new CoalescingRunner(() => this.syncOnce());
  /** The prober: its workers run on their own timers; passes read their results. */
  readonly probes: ProbeManager;
  private readonly ctx: SyncContext;
  private readonly containers: ContainerSync;

  constructor(private readonly options: PodSyncOptions) {
    const now = options.now ?? Date.now;
    this.probes = new ProbeManager({
      runtime: options.runtime,
      now,
      onChange: (uid) => this.probeChanged(uid),
      onFailure: (failure) => {
        const rec = this.records.get(failure.podUid);
        if (rec) restartUnhealthy(this.ctx, rec, failure, () => void this.sync().catch(() => undefined));
      },
    });
    this.ctx = new SyncContext(options, this.probes);
    this.containers = new ContainerSync(this.ctx);
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

  /** Host paths of the volumes of the pods the agent manages (cleanup keeps them). */
  volumePathsInUse(): Set<string> {
    const out = new Set<string>();
    for (const rec of this.records.values()) for (const p of rec.volumePaths?.values() ?? []) out.add(p);
    return out;
  }

  /** Number of pods the agent currently manages. */
  get podCount(): number {
    return this.records.size;
  }

  /** Runs one reconcile pass; concurrent calls coalesce into one extra pass. */
  sync(): Promise<void> {
    return this.runner.run();
  }

  /** Stops every probe worker (the agent's own ticks stop with the agent). */
  close(): void {
    this.probes.close();
  }

  /** Waits for in-flight terminations (used on shutdown and in tests). */
  async drain(): Promise<void> {
    await this.runner.idle();
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
        this.records.set(uid, {
          pod,
          containers: new Map(),
          startTime: new Date(this.ctx.now()).toISOString(),
        });
    }
    await Promise.all(
      [...this.records.entries()].map(async ([uid, rec]) => {
        try {
          if (!this.desired.has(uid) && !rec.terminating) {
            this.records.delete(uid);
            this.probes.removePod(uid);
            return;
          }
          await this.syncPod(rec, byPod.get(uid) ?? []);
        } catch (err) {
          this.ctx.emitError(rec.pod, err);
        }
      }),
    );
    for (const [uid, containers] of byPod) {
      if (this.records.has(uid)) continue;
      for (const c of containers) {
        const grace = c.containerName === SANDBOX_CONTAINER ? 0 : (this.options.orphanGraceSeconds ?? 10);
        await this.options.runtime.stop(c.id, grace);
        await this.options.runtime.remove(c.id);
      }
      await this.options.podNetwork?.release(uid);
      await cleanupVolumes(this.options.dataDir, uid);
      this.ctx.emit(
        'agent.pod.orphan-removed',
        `removed containers of pod ${containers[0]?.podNamespace}/${containers[0]?.podName} which no longer exists`,
        { uid },
      );
    }
  }

  /** New service-account tokens for a running pod; on failure the old ones stay and it retries in 10 s. */
  private async refreshTokens(rec: PodRecord): Promise<void> {
    const tokens: ProjectedTokens = {};
    try {
      await refreshProjectedVolumes(
        rec.pod,
        this.options.client,
        this.options.dataDir,
        tokens,
        this.ctx.now(),
      );
      rec.tokenRefreshAt = tokens.refreshAt;
    } catch (err) {
      rec.tokenRefreshAt = this.ctx.now() + 10_000;
      this.ctx.emitError(rec.pod, err);
    }
  }

  private async syncPod(rec: PodRecord, actual: RuntimeContainer[]): Promise<void> {
    const pod = rec.pod;
    if (pod.metadata.deletionTimestamp) {
      // As the kubelet, a terminating pod's readiness no longer changes: it is leaving the rotation.
      this.probes.removePod(pod.metadata.uid ?? '');
      rec.terminating ??= this.terminate(rec).catch((err) => {
        rec.terminating = undefined;
        this.ctx.emitError(pod, err);
      });
      return;
    }
    // A finished pod stays finished: its containers are never started again.
    if (rec.terminal || isTerminal(pod.status?.phase)) {
      this.probes.removePod(pod.metadata.uid ?? '');
      return;
    }
    if (!rec.volumePaths) {
      try {
        const tokens: ProjectedTokens = {};
        rec.volumePaths = await prepareVolumes(
          pod,
          this.options.client,
          this.options.dataDir,
          tokens,
          this.ctx.now(),
        );
        rec.tokenRefreshAt = tokens.refreshAt;
        rec.volumeError = undefined;
      } catch (err) {
        rec.volumeError = err instanceof Error ? err.message : String(err);
      }
    } else if (rec.tokenRefreshAt !== undefined && this.ctx.now() >= rec.tokenRefreshAt) {
      await this.refreshTokens(rec);
    }
    const hostNetwork = pod.spec.hostNetwork === true;
    if (this.options.podNetwork && !hostNetwork)
      return this.syncSandboxedPod(rec, actual, this.options.podNetwork);
    const views: SyncedContainer[] = [];
    // The first container carries the pod's network; the others join it once it runs.
    let sandbox: RuntimeContainer | undefined;
    for (const [index, spec] of pod.spec.containers.entries()) {
      const network: NetworkMode | undefined = hostNetwork
        ? { mode: 'host' }
        : index === 0
          ? { mode: 'bridge' }
          : sandbox?.state === 'running'
            ? { mode: 'container', containerId: sandbox.id }
            : undefined;
      const view = await this.containers.sync(rec, spec, actual, network, sandbox?.ip);
      if (index === 0) sandbox = view.current;
      views.push(view);
    }
    const podIP = hostNetwork
      ? this.options.hostIP()
      : sandbox?.state === 'running'
        ? sandbox.ip
        : pod.status?.podIP;
    await this.finishSync(rec, views, podIP);
  }

  /**
   * A pod on the pod network: its sandbox first (address, hostname, /etc/hosts), then every
   * container joins the sandbox's network namespace. A sandbox that died takes its containers with
   * it (they lost their network), as the kubelet does.
   */
  private async syncSandboxedPod(
    rec: PodRecord,
    actual: RuntimeContainer[],
    net: PodSandboxes,
  ): Promise<void> {
    const pod = rec.pod;
    const sandboxes = actual.filter((c) => c.containerName === SANDBOX_CONTAINER);
    let containers = actual.filter((c) => c.containerName !== SANDBOX_CONTAINER);
    const before = sandboxes.find((s) => s.state === 'running');
    const ready = await net.ensure(pod, sandboxes);
    if ('sandbox' in ready && before?.id !== ready.sandbox.id && containers.length > 0) {
      for (const c of containers) {
        if (c.state === 'running') await this.options.runtime.stop(c.id, 0);
        await this.options.runtime.remove(c.id);
      }
      containers = [];
    }
    rec.mounts = 'sandbox' in ready ? ready.mounts : undefined;
    const network: NetworkMode | undefined =
      'sandbox' in ready ? { mode: 'container', containerId: ready.sandbox.id } : undefined;
    const views: SyncedContainer[] = [];
    for (const spec of pod.spec.containers) {
      views.push(
        await this.containers.sync(rec, spec, containers, network, 'ip' in ready ? ready.ip : undefined),
      );
    }
    await this.finishSync(rec, views, 'ip' in ready ? ready.ip : pod.status?.podIP);
  }

  private async finishSync(
    rec: PodRecord,
    views: SyncedContainer[],
    podIP: string | undefined,
  ): Promise<void> {
    rec.views = views;
    rec.podIP = podIP;
    await writePodStatus(this.ctx, rec);
    for (const cr of rec.containers.values()) {
      if (cr.waiting?.reason === 'ErrImagePull') cr.waiting = { ...cr.waiting, reason: 'ImagePullBackOff' };
    }
  }

  /** A probe result changed: the pod's status is written now, from the last pass's view. */
  private probeChanged(uid: string): void {
    const rec = this.records.get(uid);
    if (!rec?.views || rec.terminating || rec.terminal || rec.pod.metadata.deletionTimestamp) return;
    writePodStatus(this.ctx, rec).catch((err) => this.ctx.emitError(rec.pod, err));
  }

  private async terminate(rec: PodRecord): Promise<void> {
    const pod = rec.pod;
    const uid = pod.metadata.uid ?? '';
    const grace = await terminatePod(this.ctx, pod);
    this.desired.delete(uid);
    this.records.delete(uid);
    this.probes.removePod(uid);
    this.ctx.emit('agent.pod.terminated', `terminated ${podKey(pod)}`, { uid, grace });
  }
}
