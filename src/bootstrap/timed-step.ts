import type { EventSink } from '../events.js';

/**
 * Runs one step of a host's bootstrap and emits `host.step` (debug) with its duration, so
 * `--debug` and the benchmark show where each host's time goes.
 */
export async function timedStep<T>(
  events: EventSink,
  host: { readonly name: string },
  step: string,
  fn: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    const ms = Date.now() - started;
    events.emit({
      code: 'host.step',
      level: 'debug',
      message: `${host.name}: ${step} took ${ms} ms`,
      data: { host: host.name, step, ms, endedAt: started + ms },
    });
  }
}
