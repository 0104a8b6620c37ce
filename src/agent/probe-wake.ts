/** Probe wake-ups come at least this far apart (ms), so a wrong due time cannot make a hot loop. */
const MIN_WAKE_MS = 20;
/** ...and at most this far ahead: the loop's own ticks run probes anyway. */
const MAX_WAKE_MS = 60_000;

/**
 * One timer that runs the pod sync loop again when its earliest probe is due, so a probe keeps its
 * periodSeconds instead of waiting for the loop's next tick (up to a whole sync interval late). The
 * kubelet's probe workers run on their own period the same way, and a readiness change then reaches
 * the pod's status in the pass that saw it.
 */
export class ProbeWake {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /** `wake` runs the loop; `now` is the clock the due times were taken from. */
  constructor(
    private readonly wake: () => void,
    private readonly now: () => number,
  ) {}

  /**
   * Sets the timer for the earliest of `due` (ms since the epoch) still ahead; none clears it. A
   * time already past is one the last pass did not get to (its pod failed before its probes): the
   * loop's own tick retries that pod, so it cannot turn into a pass every few milliseconds.
   */
  arm(due: Iterable<number | undefined>): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    const now = this.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const d of due) if (d !== undefined && d > now) earliest = Math.min(earliest, d);
    if (!Number.isFinite(earliest)) return;
    const delay = Math.min(Math.max(earliest - now, MIN_WAKE_MS), MAX_WAKE_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wake();
    }, delay);
    this.timer.unref?.();
  }

  /** Clears the timer for good (agent shutdown). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
