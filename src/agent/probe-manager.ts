import type { Container } from '../kube/index.js';
import { type ProbeKind, ProbeWorker } from './probe-worker.js';
import { type ProbeTarget, runProbe } from './probes.js';
import type { Runtime, RuntimeContainer } from './runtime/types.js';

/** A liveness or startup probe failed failureThreshold times: the container must be restarted. */
export interface ProbeFailure {
  readonly podUid: string;
  readonly containerName: string;
  readonly containerId: string;
  readonly kind: 'liveness' | 'startup';
  readonly message: string;
}

/** Options of the `ProbeManager`. */
export interface ProbeManagerOptions {
  readonly runtime: Runtime;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** A readiness or startup result of the pod changed: its status should be written now. */
  readonly onChange: (podUid: string) => void;
  readonly onFailure: (failure: ProbeFailure) => void;
}

/** What the probes say about one container, for its status. */
export interface ProbeStatus {
  readonly ready: boolean;
  readonly started: boolean;
}

/** The workers of one running container (one runtime container id). */
interface ContainerProbes {
  readonly containerId: string;
  /** Mutable: the pod's address may become known after the container started. */
  target: ProbeTarget;
  readonly workers: Partial<Record<ProbeKind, ProbeWorker>>;
}

/**
 * The agent's prober (the kubelet's prober manager): a worker per container probe, started when
 * the sync loop sees the container running and stopped when it stops, is restarted or its pod
 * goes. The sync loop only reads the cached results; a readiness or startup change calls
 * `onChange` at once, so the pod's Ready condition does not wait for the next sync pass.
 */
export class ProbeManager {
  private readonly pods = new Map<string, Map<string, ContainerProbes>>();

  constructor(private readonly options: ProbeManagerOptions) {}

  /**
   * Keeps the workers of a running container: new ones when the container is new (a restart or an
   * adoption), the existing ones otherwise (with the pod's address updated).
   */
  track(podUid: string, spec: Container, c: RuntimeContainer, podIP: string): void {
    let byName = this.pods.get(podUid);
    if (!byName) {
      byName = new Map();
      this.pods.set(podUid, byName);
    }
    const target: ProbeTarget = { runtime: this.options.runtime, containerId: c.id, podIP, container: spec };
    const existing = byName.get(spec.name);
    if (existing?.containerId === c.id) {
      existing.target = target;
      return;
    }
    if (existing) stopAll(existing);
    const entry: ContainerProbes = { containerId: c.id, target, workers: {} };
    byName.set(spec.name, entry);
    const startedAt = Date.parse(c.startedAt ?? '') || this.options.now();
    const started = () => entry.workers.startup?.result ?? true;
    const probes: [ProbeKind, Container['readinessProbe']][] = [
      ['startup', spec.startupProbe],
      ['readiness', spec.readinessProbe],
      ['liveness', spec.livenessProbe],
    ];
    for (const [kind, probe] of probes) {
      if (!probe) continue;
      entry.workers[kind] = new ProbeWorker({
        kind,
        probe,
        run: () => runProbe(probe, entry.target),
        startedAt,
        now: this.options.now,
        gate: kind === 'startup' ? undefined : started,
        onChange: (ok, message) => {
          if (kind !== 'liveness') this.options.onChange(podUid);
          if (!ok && kind !== 'readiness')
            this.options.onFailure({ podUid, containerName: spec.name, containerId: c.id, kind, message });
        },
      });
    }
    for (const w of Object.values(entry.workers)) w.start();
  }

  /** Stops the workers of a container that is not running. */
  untrack(podUid: string, containerName: string): void {
    const byName = this.pods.get(podUid);
    const entry = byName?.get(containerName);
    if (!entry) return;
    stopAll(entry);
    byName?.delete(containerName);
  }

  /** Stops every worker of a pod (deleted, terminating or finished). */
  removePod(podUid: string): void {
    for (const entry of this.pods.get(podUid)?.values() ?? []) stopAll(entry);
    this.pods.delete(podUid);
  }

  /**
   * Ready and started for container `c` of a pod, as the kubelet reports them: not started while
   * its startup probe has not succeeded; ready when started and its readiness probe succeeds (or
   * it has none). A container without workers (not running, or not seen running yet) is neither.
   */
  status(podUid: string, spec: Container, c: RuntimeContainer | undefined): ProbeStatus {
    if (c?.state !== 'running') return { ready: false, started: false };
    const entry = this.pods.get(podUid)?.get(spec.name);
    if (entry?.containerId !== c.id) return { ready: false, started: !spec.startupProbe };
    const started = entry.workers.startup?.result ?? true;
    return { ready: started && (entry.workers.readiness?.result ?? true), started };
  }

  /** Number of workers running (tests and metrics). */
  get workerCount(): number {
    let n = 0;
    for (const byName of this.pods.values())
      for (const entry of byName.values()) n += Object.keys(entry.workers).length;
    return n;
  }

  /** Stops every worker (agent shutdown). */
  close(): void {
    for (const uid of [...this.pods.keys()]) this.removePod(uid);
  }
}

function stopAll(entry: ContainerProbes): void {
  for (const w of Object.values(entry.workers)) w.stop();
}
