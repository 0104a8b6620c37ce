/**
 * Runs a pass, coalescing calls: a call while a pass runs schedules exactly one more pass after it
 * (however many calls came in) and shares its promise. The level-triggered loops of the agent (pod
 * sync, host network) use it so a burst of watch events costs at most two passes.
 */
export class CoalescingRunner {
  private running: Promise<void> | undefined;
  private again = false;

  /** `pass` recomputes everything from current state, so one extra pass covers every request. */
  constructor(private readonly pass: () => Promise<void>) {}

  /** Runs a pass now, or once more after the current one; rejects when a pass throws. */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Resolves when no pass is running (whatever the last one's outcome). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }
}
