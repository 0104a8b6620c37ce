import type { S3Api } from '../../../aws/s3.js';
import { type EventSink, silentEvents } from '../../../events.js';
import { parseCronSchedule } from '../../../kube/cron-schedule.js';
import type { Store } from '../types.js';
import { createBackup, pruneBackups } from './backup.js';
import type { StateTarget } from './layout.js';
import { isFenced } from './lease.js';
import { createStoreBackup } from './store-backup.js';

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
  /** The store generation this master ships as (its lease); for backups of the shipped state. */
  readonly generation?: number;
  /** True once the shipper saw a newer master's lease; for backups of the shipped state. */
  readonly fenced?: () => boolean;
  /**
   * Back up this live store (etcd) instead of the shipped state: read at one revision
   * (`createStoreBackup`), only while `isLeader` says this master leads. @default the shipped state
   */
  readonly store?: Store;
  /** With `store`: whether this master leads (the controllers' election), so one master writes each tick. */
  readonly isLeader?: () => boolean;
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
 * Takes a backup at every time of the schedule (`createBackup`: the shipped state, verified; or
 * with `store`, `createStoreBackup`: the live store at one revision) and then deletes all but the
 * newest `retain`, only while this master holds the shipping lease (a master that a newer one
 * fenced writes nothing) or, with `store`, while it leads. One backup at a time; a tick that falls during one
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

  /** Why this master must not write this tick's backup, or undefined when it may. */
  const skipReason = async (): Promise<string | undefined> => {
    if (options.store)
      return (options.isLeader ?? (() => true))()
        ? undefined
        : 'this master is not the leader (the leading master takes it)';
    const generation = options.generation ?? 0;
    if (options.fenced?.() || (await isFenced(options.s3, options.target, generation)))
      return `a newer master holds the store (this one shipped generation ${generation})`;
    return undefined;
  };

  const tick = async (at: number) => {
    const { s3, target } = options;
    try {
      const skip = await skipReason();
      if (skip) {
        events.emit({
          code: 'store.backup-skipped',
          level: 'info',
          message: `scheduled backup skipped: ${skip}`,
        });
        return;
      }
      const info = options.store
        ? await createStoreBackup(options.store, s3, target, { now: new Date(at) })
        : await createBackup(s3, target, new Date(at));
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
