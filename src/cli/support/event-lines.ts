import { type EventSink, lineEvents } from '../../events.js';
import type { CliIO, GlobalOptions } from './context.js';

/**
 * Events as JSON lines on stderr for `--progress json`: one object per event,
 * `{"time","level","code","message","data"}`, every level but debug (debug too with --debug).
 * Data that cannot be serialised is left out rather than losing the event.
 */
export function jsonLineEvents(write: (text: string) => void, debug: boolean): EventSink {
  return {
    emit(e) {
      if (e.level === 'debug' && !debug) return;
      const line = { time: new Date().toISOString(), level: e.level, code: e.code, message: e.message };
      let text: string;
      try {
        text = JSON.stringify(e.data === undefined ? line : { ...line, data: e.data });
      } catch {
        text = JSON.stringify(line);
      }
      write(`${text}\n`);
    },
  };
}

/** The event sink of a command that prints plain lines: JSON lines with `--progress json`. */
export function lineSink(io: CliIO, globals: GlobalOptions): EventSink {
  return globals.progress === 'json'
    ? jsonLineEvents(io.stderr, globals.debug)
    : lineEvents(io.stderr, globals.debug);
}
