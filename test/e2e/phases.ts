/** One timed phase of the e2e. */
export interface PhaseTiming {
  readonly name: string;
  readonly ms: number;
  readonly ok: boolean;
}

/**
 * Times the phases of an end-to-end run and prints one summary line per phase, so CI logs show
 * where the minutes go (bench/e2e.md collects these figures).
 */
export class PhaseClock {
  readonly timings: PhaseTiming[] = [];

  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {}

  /** Runs `body` as phase `name`, recording its duration whether it passes or throws. */
  async run<T>(name: string, body: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const value = await body();
      ok = true;
      return value;
    } finally {
      const ms = Math.round(performance.now() - started);
      this.timings.push({ name, ms, ok });
      this.write(`e2e phase ${name}: ${formatMs(ms)}${ok ? '' : ' (failed)'}`);
    }
  }

  /** The summary: one line per phase, then the total. */
  summary(): string[] {
    const total = this.timings.reduce((s, t) => s + t.ms, 0);
    return [
      ...this.timings.map(
        (t) => `e2e timing | ${t.name.padEnd(18)} ${formatMs(t.ms).padStart(8)}${t.ok ? '' : '  FAILED'}`,
      ),
      `e2e timing | ${'total'.padEnd(18)} ${formatMs(total).padStart(8)}`,
    ];
  }

  /** Writes the summary lines. */
  print(): void {
    for (const line of this.summary()) this.write(line);
  }
}

/** 850 → `0.85 s`, 61000 → `61.0 s`. */
export function formatMs(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}
