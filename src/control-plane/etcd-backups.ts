import { createAwsClients } from '../aws/clients.js';
import type { EventSink } from '../events.js';
import type { StateShippingOptions } from './state-shipping.js';
import { startBackupSchedule } from './store/shipping/index.js';
import type { Store } from './store/types.js';

/** How long to wait before asking AWS again who owns the bucket after a failure. */
const RETRY_MS = 30_000;

/**
 * Starts the backup schedule of a control plane on etcd (`--store etcd --state-bucket B
 * --backup-schedule ...`): at each tick the master that leads the controllers reads the store at
 * one revision and stores it as a backup under `<prefix>/backups/`. Nothing here can fail the
 * API server: an AWS failure while starting is reported (`store.backup-failed`) and retried until
 * stopped. Returns the stop function (ends the timer, waits for a backup in progress).
 */
export function startEtcdBackups(
  store: Store,
  shipping: StateShippingOptions,
  events: EventSink,
  isLeader: () => boolean,
): () => Promise<void> {
  const backup = shipping.backup;
  if (!backup) return async () => undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const started = (async () => {
    while (!stopped) {
      try {
        // A stalled S3 must surface as a failed backup (reported), never as a tick that hangs.
        const aws = await createAwsClients({ requestTimeoutMs: 15_000 });
        const ref = { bucket: shipping.bucket, owner: await aws.sts.accountId() };
        if (stopped) return undefined;
        return startBackupSchedule({
          s3: aws.s3,
          target: { ref, prefix: shipping.prefix ?? '' },
          ...backup,
          store,
          isLeader,
          events,
        });
      } catch (err) {
        events.emit({
          code: 'store.backup-failed',
          level: 'warn',
          message: `scheduled backups of etcd to s3://${shipping.bucket} cannot start (trying again in ${RETRY_MS / 1000} s): ${(err as Error).message}`,
        });
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, RETRY_MS).unref();
        });
      }
    }
    return undefined;
  })();
  return async () => {
    stopped = true;
    wake?.();
    await (await started)?.stop();
  };
}
