import { describe, expect, it } from 'vitest';
import { isKnownTimeZone, parseCronFields, parseCronSchedule } from '../../src/kube/cron-schedule.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function nexts(schedule: string, from: string, n: number, tz?: string): string[] {
  const s = parseCronSchedule(schedule, tz);
  if (typeof s === 'string') throw new Error(s);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = s.next(t);
    if (next === undefined) break;
    out.push(iso(next) ?? '');
    t = next;
  }
  return out;
}

describe('cron schedules as Kubernetes reads them', () => {
  it.each([
    ['*/15 * * * *', ['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z']],
    ['5/20 * * * *', ['2026-01-01T00:25:00.000Z', '2026-01-01T00:45:00.000Z']],
    ['0 9 * * MON-FRI', ['2026-01-01T09:00:00.000Z', '2026-01-02T09:00:00.000Z']],
    ['0 0 1 jan,jul *', ['2026-07-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']],
    ['@hourly', ['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z']],
    ['@weekly', ['2026-01-04T00:00:00.000Z', '2026-01-11T00:00:00.000Z']],
    ['@yearly', ['2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z']],
    ['0 0 ? * *', ['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z']],
    ['10-20/5 3 * * *', ['2026-01-01T03:10:00.000Z', '2026-01-01T03:15:00.000Z']],
  ])('%s fires at its next times', (schedule, want) => {
    expect(nexts(schedule, '2026-01-01T00:05:00Z', 2)).toEqual(want);
  });

  it('matches a restricted day of month OR a restricted day of week, as cron does', () => {
    // 13th of the month or any Friday: 2026-03-13 is a Friday, 2026-04-13 a Monday.
    expect(nexts('0 0 13 * 5', '2026-03-26T00:00:00Z', 3)).toEqual([
      '2026-03-27T00:00:00.000Z',
      '2026-04-03T00:00:00.000Z',
      '2026-04-10T00:00:00.000Z',
    ]);
    expect(nexts('0 0 13 * 5', '2026-04-11T00:00:00Z', 1)).toEqual(['2026-04-13T00:00:00.000Z']);
  });

  it('reads the schedule in its time zone, across a daylight saving change', () => {
    expect(nexts('0 9 * * *', '2026-03-07T00:00:00Z', 3, 'America/New_York')).toEqual([
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
      '2026-03-09T13:00:00.000Z',
    ]);
    expect(nexts('30 0 * * *', '2026-01-01T00:00:00Z', 1, 'Asia/Kolkata')).toEqual([
      '2026-01-01T19:00:00.000Z',
    ]);
  });

  it('finds the latest start time at or before a moment', () => {
    const s = parseCronSchedule('*/10 * * * *');
    if (typeof s === 'string') throw new Error(s);
    expect(iso(s.latest(at('2026-01-01T00:20:00Z')))).toBe('2026-01-01T00:20:00.000Z');
    expect(iso(s.latest(at('2026-01-01T00:29:59Z')))).toBe('2026-01-01T00:20:00.000Z');
  });

  it('has no next time for a date that never comes', () => {
    const s = parseCronSchedule('0 0 30 2 *');
    if (typeof s === 'string') throw new Error(s);
    expect(s.next(at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it.each([
    ['', 'empty spec string'],
    ['* * * *', 'expected exactly 5 fields, found 4: * * * *'],
    ['0 * * * * *', 'expected exactly 5 fields, found 6: 0 * * * * *'],
    ['61 * * * *', 'minute: 61 is out of range 0-59'],
    ['* 24 * * *', 'hour: 24 is out of range 0-23'],
    ['* * 0 * *', 'day of month: 0 is out of range 1-31'],
    ['* * * 13 *', 'month: 13 is out of range 1-12'],
    ['* * * * 7', 'day of week: 7 is out of range 0-6'],
    ['* * * FOO *', 'month: failed to parse "FOO"'],
    ['0 0 L * *', 'day of month: failed to parse "L"'],
    ['0 0 * * 5#2', 'day of week: failed to parse "5#2"'],
    ['*/0 * * * *', 'minute: bad step "0"'],
    ['30-10 * * * *', 'minute: beginning of range (30) beyond end of range (10)'],
    ['1-2-3 * * * *', 'minute: too many hyphens in "1-2-3"'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['@every 1h', '"@every" schedules are not supported: use a five-field schedule'],
  ])('refuses %j: %s', (schedule, message) => {
    expect(parseCronFields(schedule)).toBe(message);
    expect(parseCronSchedule(schedule)).toBe(message);
  });

  it('knows IANA zones and refuses Local, empty and made-up ones', () => {
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('Etc/UTC')).toBe(true);
    for (const tz of ['', 'Local', 'local', 'Mars/Olympus', 'UTC+3'])
      expect(isKnownTimeZone(tz), tz).toBe(false);
    expect(parseCronSchedule('* * * * *', 'Mars/Olympus')).toBe('unknown time zone Mars/Olympus');
  });
});
