import type { Container, LifecycleHandler } from '../kube/index.js';
import { type ProbeResult, runProbe } from './probes.js';
import type { Runtime } from './runtime/types.js';

/** The kubelet's floor for the grace period left after a preStop hook (`minimumGracePeriodInSeconds`). */
export const MIN_GRACE_AFTER_HOOK_SECONDS = 2;

/** Where a container's preStop hook runs and how long it may take. */
export interface PreStopTarget {
  readonly runtime: Runtime;
  readonly containerId: string;
  readonly podIP: string;
  readonly container: Container;
  /** The pod's termination grace period: the hook and the stop share it. */
  readonly graceSeconds: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Waits `ms` (the sleep action). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a preStop hook did and the grace left for SIGTERM → SIGKILL. */
export interface PreStopOutcome {
  /** Undefined when the container has no preStop hook. */
  readonly result?: ProbeResult;
  readonly graceLeftSeconds: number;
}

/**
 * Runs a container's `lifecycle.preStop` hook as the kubelet does before stopping it: `sleep`
 * waits, `exec` runs in the container, `httpGet` and `tcpSocket` go to the pod's IP; the hook gets
 * at most the grace period, and its whole seconds are taken from the grace left for the stop (never
 * below 2 s, the kubelet's minimum). A failing hook is reported and the container stopped anyway.
 * A deletion without grace runs no hook.
 */
export async function runPreStopHook(target: PreStopTarget): Promise<PreStopOutcome> {
  const hook: LifecycleHandler | undefined = target.container.lifecycle?.preStop;
  // As the kubelet: no hook on a deletion without grace (`--grace-period=0`, `--force`).
  if (!hook || target.graceSeconds <= 0) return { graceLeftSeconds: target.graceSeconds };
  const now = target.now ?? Date.now;
  const started = now();
  const budgetMs = target.graceSeconds * 1000;
  let result: ProbeResult;
  if (hook.sleep) {
    const ms = Math.min(Math.max(0, hook.sleep.seconds) * 1000, budgetMs);
    await (target.sleep ?? ((d: number) => new Promise<void>((r) => setTimeout(r, d))))(ms);
    result = { ok: true, message: 'ok' };
  } else {
    // A probe's handlers, with the grace period as their timeout (a hook has no timeoutSeconds).
    const { sleep: _sleep, ...handler } = hook;
    result = await runProbe(
      { ...handler, timeoutSeconds: Math.max(1, target.graceSeconds) },
      {
        runtime: target.runtime,
        containerId: target.containerId,
        podIP: target.podIP,
        container: target.container,
      },
    );
  }
  const used = Math.floor((now() - started) / 1000);
  return {
    result,
    graceLeftSeconds: Math.max(MIN_GRACE_AFTER_HOOK_SECONDS, target.graceSeconds - used),
  };
}
