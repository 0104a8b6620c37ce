/**
 * Time as the controllers see it. Every timing decision (lease grace, eviction, progress deadline,
 * active deadline, requeue backoff) reads this clock, so tests drive time by hand.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
export function formatTime(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Parses an RFC 3339 timestamp; undefined when absent or unparsable. */
export function parseTime(text: string | undefined | null): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
