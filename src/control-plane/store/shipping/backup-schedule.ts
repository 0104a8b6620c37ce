import type { S3Api } from '../../../aws/s3.js';
import { type EventSink, silentEvents } from '../../../events.js';
import { parseCronSchedule } from '../../../kube/cron-schedule.js';
import { createBackup, pruneBackups } from './backup.js';
import type { StateTarget } from './layout.js';
import { isFenced } from './lease.js';

/** The longest single timer (setTimeout's limit is 2^31-1 ms); a later tick re-arms on waking. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of {@link startBackupSchedule}. */
export interface BackupScheduleOptions {
  readonly s3: S3Api;
  readonly target: StateTarget;
  /** Five-field cron in UTC, or a descriptor such as `@daily` (the spec's `backup.schedule`). */
  readonly schedule: string;
  /** Complete backups kept; older ones are deleted after each scheduled backup. */
  readonly retain: number;
  /** The store generation this master ships as (its lease). */
  readonly generation: number;
  /** True once the shipper saw a newer master's lease. */
  readonly fenced: () => boolean;
  /**
   * When the next backup is due after `after` (ms). For tests; the cron schedule otherwise.
   * @default the next time of `schedule`
   */
  readonly next?: (after: number) => number | undefined;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** A running schedule. */
export interface BackupSchedule {
  /** Stops the timer and waits for a backup in progress. */
  stop(): Promise<void>;
}

/** The schedule's parse error (a message), or undefined when it is one `startBackupSchedule` takes. */
export function checkBackupSchedule(schedule: string): string | undefined {
  const parsed = parseCronSchedule(schedule);
  return typeof parsed === 'string' ? parsed : undefined;
}

/**
 * Takes a backup at every time of the schedule (`createBackup`: the shipped state, verified) and
 * then deletes all but the newest `retain`, only while this master holds the shipping lease: a
 * master that a newer one fenced writes nothing. One backup at a time; a tick that falls during one
 * is skipped. A failure is reported (`store.backup-failed`) and the next tick tries again; it never
 * ends the process.
 */
export function startBackupSchedule(options: BackupScheduleOptions): BackupSchedule {
  const events = options.events ?? silentEvents;
  const now = options.now ?? Date.now;
  let next = options.next;
  if (!next) {
    const cron = parseCronSchedule(options.schedule);
    if (typeof cron === 'string') throw new Error(`backup schedule "${options.schedule}": ${cron}`);
    next = (after) => cron.next(after);
  }
  const due = next;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const tick = async (at: number) => {
    const { s3, target } = options;
    try {
      if (options.fenced() || (await isFenced(s3, target, options.generation))) {
        events.emit({
          code: 'store.backup-skipped',
          level: 'info',
          message: `scheduled backup skipped: a newer master holds the store (this one shipped generation ${options.generation})`,
        });
        return;
      }
      const info = await createBackup(s3, target, new Date(at));
      const pruned = await pruneBackups(s3, target, options.retain);
      events.emit({
        code: 'store.backup-created',
        level: 'info',
        message: `scheduled backup ${info.name}: ${info.keys} keys at revision ${info.revision}${pruned.length ? `; deleted ${pruned.join(', ')} (retain ${options.retain})` : ''}`,
        data: { ...info, pruned },
      });
    } catch (err) {
      events.emit({
        code: 'store.backup-failed',
        level: 'warn',
        message: `scheduled backup failed (the next one is at the next time of "${options.schedule}"): ${(err as Error).message}`,
      });
    }
  };

  const arm = () => {
    if (stopped) return;
    const when = due(now());
    if (when === undefined) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        if (now() < when) return arm();
        running = running.then(() => tick(when)).finally(arm);
      },
      Math.min(MAX_TIMER_MS, Math.max(0, when - now())),
    );
  };
  arm();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
