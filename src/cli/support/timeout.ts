import type { Command } from 'commander';
import { TugboatError } from '../../errors.js';
import type { EventSink } from '../../events.js';

/** Exit code when `--timeout` ran out (as `timeout(1)` exits); re-running the command continues. */
export const EXIT_TIMEOUT = 124;

/** Adds `--timeout DURATION` to a command that waits (no heavy imports). */
export function addTimeoutFlag(cmd: Command): Command {
  return cmd.option(
    '--timeout <duration>',
    'give up after this long (Go duration: 90s, 10m, 1h30m); exit 124, re-run to continue',
  );
}

/**
 * Runs `fn` with a deadline: when `ms` passes, `controller` is aborted (the same AbortSignal
 * Ctrl-C fires, so the library stops between AWS calls and cancels the call in flight) and the
 * error becomes a TIMEOUT error saying what the command was waiting for: the phase that was
 * running, as the events reported it. Without `ms` it only runs `fn`.
 */
export async function withDeadline<T>(
  options: { readonly ms?: number; readonly text?: string; readonly controller: AbortController },
  events: EventSink,
  fn: (events: EventSink) => Promise<T>,
): Promise<T> {
  if (options.ms === undefined) return fn(events);
  const phases: string[] = [];
  const tracking: EventSink = {
    emit(e) {
      if (e.code === 'phase.start') phases.push(e.message);
      else if (e.code === 'phase.end' || e.code === 'phase.fail') phases.pop();
      events.emit(e);
    },
  };
  let timedOut = false;
  // Read when the deadline passes: the aborted phase reports phase.fail before the error arrives here.
  let waitingFor: string | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    waitingFor = phases[phases.length - 1];
    options.controller.abort();
  }, options.ms);
  try {
    return await fn(tracking);
  } catch (err) {
    if (!timedOut) throw err;
    const what = waitingFor ? `while waiting for: ${waitingFor}` : 'before the command finished';
    throw new TugboatError(
      'TIMEOUT',
      `timed out after ${options.text ?? `${options.ms}ms`} ${what}; nothing is rolled back: run the same command again to continue`,
      { exitCode: EXIT_TIMEOUT, cause: err },
    );
  } finally {
    clearTimeout(timer);
  }
}
