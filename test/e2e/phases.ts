import { RecordingEvents, type TugboatEvent } from '../../src/index.js';

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

/**
 * Records tugboat events with the time each arrived, so an e2e can say where a library call spent
 * its minutes: every phase's duration, and every silence longer than `gapMs` with the events on
 * either side of it.
 */
export class TimedEvents extends RecordingEvents {
  readonly at: number[] = [];

  override emit(event: TugboatEvent): void {
    this.at.push(performance.now());
    super.emit(event);
  }

  /** One line per finished phase and per silence of at least `gapMs`. */
  report(label: string, gapMs = 5_000): string[] {
    const lines: string[] = [];
    this.events.forEach((e, i) => {
      if (e.code === 'phase.end' && typeof e.data?.ms === 'number')
        lines.push(`e2e ${label} phase ${String(e.data.phase)}: ${formatMs(e.data.ms)}`);
      const gap = i > 0 ? this.at[i]! - this.at[i - 1]! : 0;
      if (gap >= gapMs) {
        const before = this.events[i - 1]!;
        lines.push(
          `e2e ${label} silence ${formatMs(gap)} between "${before.code}: ${before.message}" and "${e.code}: ${e.message}"`,
        );
      }
    });
    return lines;
  }
}
