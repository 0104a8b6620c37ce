/**
 * CronJob schedules: the grammar Kubernetes accepts (robfig/cron's standard parser: five fields or
 * a descriptor such as `@hourly`), checked here field by field so errors name the bad field, and the
 * next and previous times computed by croner in the CronJob's `timeZone` (IANA, through Intl).
 */
import { Cron } from 'croner';

/** A parsed schedule: `next` is the first time strictly after `after`; null when none in ~5 years. */
export interface CronSchedule {
  next(after: number): number | undefined;
  /** The latest time at or before `atOrBefore`; undefined when there is none. */
  latest(atOrBefore: number): number | undefined;
}

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const days = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const fields = [
  { name: 'minute', min: 0, max: 59, names: [] as string[] },
  { name: 'hour', min: 0, max: 23, names: [] as string[] },
  { name: 'day of month', min: 1, max: 31, names: [] as string[] },
  { name: 'month', min: 1, max: 12, names: months },
  { name: 'day of week', min: 0, max: 6, names: days },
] as const;

type Field = (typeof fields)[number];

function value(text: string, f: Field): number | string {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n < f.min || n > f.max ? `${f.name}: ${n} is out of range ${f.min}-${f.max}` : n;
  }
  const i = f.names.indexOf(text.toUpperCase());
  if (i >= 0) return f === fields[3] ? i + 1 : i;
  return `${f.name}: failed to parse "${text}"`;
}

/** Problems of one field, after robfig/cron's getRange: `*`, `?`, `n`, `a-b`, each with `/step`. */
function checkField(text: string, f: Field): string | undefined {
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(.*))?$/.exec(part);
    if (!m) return `${f.name}: failed to parse "${part}"`;
    const [, range, step] = m as unknown as [string, string, string | undefined];
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `${f.name}: bad step "${step}"`;
    if (range === '*' || range === '?') continue;
    const ends = range.split('-');
    if (ends.length > 2) return `${f.name}: too many hyphens in "${range}"`;
    const vals = ends.map((e) => value(e, f));
    const bad = vals.find((v) => typeof v === 'string');
    if (bad !== undefined) return bad as string;
    if (vals.length === 2 && (vals[0] as number) > (vals[1] as number))
      return `${f.name}: beginning of range (${vals[0]}) beyond end of range (${vals[1]})`;
  }
  return undefined;
}

/** The five fields of a schedule (descriptors expanded), or an error message. */
export function parseCronFields(schedule: string): string[] | string {
  const text = schedule.trim();
  if (text === '') return 'empty spec string';
  if (text.startsWith('@')) {
    if (text.startsWith('@every')) return `"@every" schedules are not supported: use a five-field schedule`;
    return descriptors[text] ? descriptors[text].split(' ') : `unrecognized descriptor: ${text}`;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5) return `expected exactly 5 fields, found ${parts.length}: ${text}`;
  for (const [i, f] of fields.entries()) {
    const problem = checkField(parts[i] as string, f);
    if (problem) return problem;
  }
  return parts;
}

/** True when `timeZone` names an IANA zone this runtime knows (`Local` and `""` are refused upstream). */
export function isKnownTimeZone(timeZone: string): boolean {
  if (timeZone === '' || timeZone.toLowerCase() === 'local') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const parsedCache = new Map<string, CronSchedule | string>();
const parsedCacheSize = 10_000;

/**
 * Parses a schedule in a zone (UTC when none); a string is the error message. Results are cached
 * (a controller parses every CronJob's schedule on each reconcile; the cache is cleared when full).
 */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule | string {
  const key = `${timeZone ?? ''}\u0000${schedule}`;
  let out = parsedCache.get(key);
  if (out === undefined) {
    if (parsedCache.size >= parsedCacheSize) parsedCache.clear();
    out = parseUncached(schedule, timeZone);
    parsedCache.set(key, out);
  }
  return out;
}

function parseUncached(schedule: string, timeZone?: string): CronSchedule | string {
  const parsed = parseCronFields(schedule);
  if (typeof parsed === 'string') return parsed;
  if (timeZone !== undefined && !isKnownTimeZone(timeZone)) return `unknown time zone ${timeZone}`;
  let cron: Cron;
  try {
    // legacyMode: a restricted day-of-month OR a restricted day-of-week matches (cron's rule).
    cron = new Cron(parsed.join(' '), {
      mode: '5-part',
      legacyMode: true,
      sloppyRanges: true,
      timezone: timeZone ?? 'Etc/UTC',
      paused: true,
    });
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return {
    next: (after) => cron.nextRun(new Date(after))?.getTime() ?? undefined,
    // Start times fall on whole minutes; croner's previous runs are strictly before the reference.
    latest: (atOrBefore) =>
      cron.previousRuns(1, new Date(Math.floor(atOrBefore / 60_000) * 60_000 + 60_000))[0]?.getTime(),
  };
}
