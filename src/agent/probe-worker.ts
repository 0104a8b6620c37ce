import type { Probe } from '../kube/index.js';
import type { ProbeResult } from './probes.js';

/** Which probe a worker runs; each has its own worker, as in the kubelet. */
export type ProbeKind = 'readiness' | 'liveness' | 'startup';

/** Options of a `ProbeWorker`. */
export interface ProbeWorkerOptions {
  readonly kind: ProbeKind;
  readonly probe: Probe;
  /** Runs the handler once; must settle within the probe's timeoutSeconds (`runProbe` does). */
  readonly run: () => Promise<ProbeResult>;
  /** When the container started (ms since the epoch): initialDelaySeconds counts from here. */
  readonly startedAt: number;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** False while a startup probe has not succeeded: readiness and liveness wait for it. @default always true */
  readonly gate?: () => boolean;
  /** The worker's result changed (after the thresholds); `message` is the last handler's. */
  readonly onChange: (ok: boolean, message: string) => void;
}

/**
 * One container probe on its own timer, like a kubelet probe worker (pkg/kubelet/prober/worker.go):
 * the first run at start + initialDelaySeconds, then every periodSeconds, never two runs at once
 * (a run that outlasts the period delays the next, as a Go ticker drops ticks). The result flips
 * after successThreshold successes or failureThreshold failures in a row. A liveness or startup
 * failure puts the worker on hold: the container is restarted and a new worker probes the new one.
 */
export class ProbeWorker {
  /** Readiness starts failed, liveness healthy, startup unknown (as the kubelet's initial values). */
  private ok: boolean | undefined;
  private held = false;
  private run = 0;
  private lastOk: boolean | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private inFlight = false;

  constructor(private readonly options: ProbeWorkerOptions) {
    this.ok = options.kind === 'readiness' ? false : options.kind === 'liveness' ? true : undefined;
  }

  /** The current result: ready (readiness), started (startup) or healthy (liveness). */
  get result(): boolean {
    return this.ok === true;
  }

  /** Whether a handler is running now (at most one is). */
  get busy(): boolean {
    return this.inFlight;
  }

  /** Arms the first run at start + initialDelaySeconds (at once when that is past). */
  start(): void {
    const first = this.options.startedAt + (this.options.probe.initialDelaySeconds ?? 0) * 1000;
    this.schedule(first);
  }

  /** Stops the timer for good; a run in flight finishes but reports nothing. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(at: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, at - this.options.now()));
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    if (this.stopped || this.inFlight) return;
    const { probe, kind } = this.options;
    const startedAt = this.options.now();
    const next = startedAt + Math.max(1, probe.periodSeconds ?? 10) * 1000;
    // A startup probe that succeeded is done; the others wait for it.
    if ((kind === 'startup' && this.ok) || !(this.options.gate?.() ?? true)) return this.schedule(next);
    this.inFlight = true;
    let result: ProbeResult;
    try {
      result = await this.options.run();
    } catch (err) {
      result = { ok: false, message: err instanceof Error ? err.message : String(err) };
    } finally {
      this.inFlight = false;
    }
    if (this.stopped) return;
    this.record(result);
    if (this.held) return this.stop();
    this.schedule(next);
  }

  private record(result: ProbeResult): void {
    const { probe, kind } = this.options;
    if (result.ok === this.lastOk) this.run++;
    else {
      this.lastOk = result.ok;
      this.run = 1;
    }
    // Kubernetes requires successThreshold 1 for liveness and startup probes.
    const successes = kind === 'readiness' ? (probe.successThreshold ?? 1) : 1;
    const needed = result.ok ? successes : (probe.failureThreshold ?? 3);
    if (this.run < needed || result.ok === this.ok) return;
    this.ok = result.ok;
    this.held = !result.ok && kind !== 'readiness';
    this.options.onChange(result.ok, result.message);
  }
}
