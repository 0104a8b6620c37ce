import { UsageError } from '../../errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** The longest --timeout setTimeout can hold (about 24.8 days). */
const MAX_MS = 2 ** 31 - 1;

/**
 * Parses a Go duration (`time.ParseDuration`, as kubectl's `--timeout` and `--request-timeout`
 * take): a sequence of decimal numbers with units ns, us (µs), ms, s, m, h, e.g. `90s`, `10m`,
 * `1h30m`, `1.5h`. A bare number or a value that is not positive is a usage error naming `flag`.
 */
export function parseDuration(text: string, flag = '--timeout'): number {
  const usage = (why: string) =>
    new UsageError(
      `${flag} "${text}" ${why}: give a duration such as 90s, 10m or 1h30m (units ns, us, ms, s, m, h)`,
    );
  if (!/^(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))*$/.test(text)) {
    throw usage('is not a duration');
  }
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  if (!(ms >= 1)) throw usage('must be at least 1ms');
  if (ms > MAX_MS) throw usage('is longer than 24 days');
  return Math.round(ms);
}
