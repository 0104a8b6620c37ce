/**
 * Typed progress events. The library never prints: it emits events and the CLI renders them
 * (listr2 on a terminal, plain lines in CI, JSON lines on stderr with --progress json, nothing in
 * tests).
 */
export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

export interface TugboatEvent<D = Record<string, unknown>> {
  /** Stable dotted code, e.g. `stack.event`, `phase.start`, `phase.end`. */
  readonly code: string;
  readonly level: EventLevel;
  readonly message: string;
  readonly data?: D;
}

/** Receives events from library calls. */
export interface EventSink {
  emit(event: TugboatEvent): void;
}

/** Discards everything; the default for library calls that are not given a sink. */
export const silentEvents: EventSink = { emit() {} };

/** Collects events in memory; for tests that assert on what the library reported. */
export class RecordingEvents implements EventSink {
  readonly events: TugboatEvent[] = [];
  emit(event: TugboatEvent): void {
    this.events.push(event);
  }
  codes(): string[] {
    return this.events.map((e) => e.code);
  }
}

/**
 * Runs `fn` as a named phase, emitting `phase.start` and `phase.end` (or `phase.fail`) with the
 * elapsed milliseconds, so renderers can show one task per phase with its timing.
 */
export async function runPhase<T>(
  events: EventSink,
  phase: string,
  title: string,
  fn: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  events.emit({ code: 'phase.start', level: 'info', message: title, data: { phase } });
  try {
    const result = await fn();
    events.emit({
      code: 'phase.end',
      level: 'info',
      message: title,
      data: { phase, ms: Date.now() - started },
    });
    return result;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    events.emit({ code: 'phase.fail', level: 'error', message, data: { phase, ms: Date.now() - started } });
    throw err;
  }
}

/** Events as plain `level: message` lines through `write`; debug events only when `debug`. */
export function lineEvents(write: (text: string) => void, debug: boolean): EventSink {
  return {
    emit(e) {
      if (e.level !== 'debug' || debug) write(`${e.level}: ${e.message}\n`);
    },
  };
}
