import { UsageError } from '../../errors.js';

/** How `delete` paces its tag sweep, from the environment. */
export interface SweepTiming {
  readonly sweepDelayMs?: number;
  readonly sweepRounds?: number;
}

function readInt(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min)
    throw new UsageError(`${name} (${raw}) must be a whole number of at least ${min}: fix or unset it`);
  return Number(raw);
}

/**
 * `TUGBOAT_SWEEP_RETRY_MS` (first pause between sweep rounds, doubling to 30 s; default 2000) and
 * `TUGBOAT_SWEEP_ROUNDS` (default 12): by default a sweep that cannot finish gives up after about
 * four minutes; CI jobs and tests that expect leftovers can make that seconds.
 */
export function sweepTimingFromEnv(env: NodeJS.ProcessEnv): SweepTiming {
  const delay = readInt(env, 'TUGBOAT_SWEEP_RETRY_MS', 0);
  const rounds = readInt(env, 'TUGBOAT_SWEEP_ROUNDS', 1);
  return {
    ...(delay !== undefined ? { sweepDelayMs: delay } : {}),
    ...(rounds !== undefined ? { sweepRounds: rounds } : {}),
  };
}
