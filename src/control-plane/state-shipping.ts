import { hostname } from 'node:os';
import { createAwsClients } from '../aws/clients.js';
import type { EventSink } from '../events.js';
import { createStore } from './store/index.js';
import { prepareShipping, StateShipper, startBackupSchedule } from './store/shipping/index.js';
import type { Store } from './store/types.js';

/** Where to ship the embedded store (`--state-bucket`, `--state-prefix`); region and endpoint from the AWS environment. */
export interface StateShippingOptions {
  readonly bucket: string;
  /** @default '' */
  readonly prefix?: string;
  /** Names this master in its generation lease. @default the host name */
  readonly holder?: string;
  /** @default 3000 */
  readonly graceMs?: number;
  /**
   * Scheduled backups (`--backup-schedule`, `--backup-retain`): taken only while this master holds
   * the shipping lease. @default none
   */
  readonly backup?: { readonly schedule: string; readonly retain: number };
}

/**
 * Opens the embedded store on `dataDir` shipping to S3: claims a generation (fencing the previous
 * master), restores an empty data directory from S3, opens the store with the shipper's hooks and
 * starts shipping, and the backup schedule when one is given. `onFenced` runs when a newer master
 * claims the next generation; `stop` ends the schedule and ships the last records.
 */
export async function openShippedStore(
  dataDir: string,
  shipping: StateShippingOptions,
  events: EventSink,
  onFenced: () => void,
): Promise<{ store: Store; shipper: StateShipper; stop: () => Promise<void> }> {
  // A stalled S3 must surface as a failed upload (reported, retried), never as a shipper that hangs.
  const aws = await createAwsClients({ requestTimeoutMs: 15_000 });
  const ref = { bucket: shipping.bucket, owner: await aws.sts.accountId() };
  const target = { ref, prefix: shipping.prefix ?? '' };
  const prepared = await prepareShipping({
    s3: aws.s3,
    target,
    dataDir,
    holder: shipping.holder ?? hostname(),
    events,
    ...(shipping.graceMs === undefined ? {} : { graceMs: shipping.graceMs }),
  });
  const shipper = new StateShipper({ s3: aws.s3, target, dataDir, events, onFenced }, prepared);
  const store = await createStore({ kind: 'embedded', dataDir, events, ...shipper.storeHooks() });
  shipper.start();
  const backups =
    shipping.backup &&
    startBackupSchedule({
      s3: aws.s3,
      target,
      ...shipping.backup,
      generation: prepared.generation,
      fenced: () => shipper.status().fenced,
      events,
    });
  // After the store closed: the schedule first (a backup in progress reads S3, not the store).
  const stop = async () => {
    await backups?.stop();
    await shipper.stop();
  };
  return { store, shipper, stop };
}
