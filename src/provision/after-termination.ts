import type { AwsClients } from '../aws/clients.js';
import type { Ec2Instance } from '../aws/ec2.js';
import { CLUSTER_TAG, clusterFilter } from '../aws/types.js';
import { DeploymentError } from '../errors.js';
import type { EventSink } from '../events.js';
import { sleep } from '../timing.js';
import { objectLeftovers } from './leftovers-storage.js';
import { clusterS3Paths } from './template/storage-names.js';

/** The cluster's instances that EC2 does not report `terminated`. */
export async function liveInstances(aws: AwsClients, cluster: string): Promise<Ec2Instance[]> {
  return (await aws.ec2Sweep.describeInstances([clusterFilter(cluster)])).filter(
    (i) => i.tags[CLUSTER_TAG] === cluster && i.state !== 'terminated',
  );
}

/** Options of {@link waitInstancesTerminated}. */
export interface WaitTerminatedOptions {
  readonly aws: AwsClients;
  readonly cluster: string;
  readonly signal?: AbortSignal;
  /** Pause between describes. @default 2_000 */
  readonly pollIntervalMs?: number;
  /** Give up after this long. @default 600_000 */
  readonly timeoutMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Waits until EC2 reports every instance tagged with the cluster `terminated`. An instance in
 * `shutting-down` still runs its services (a master ships its store to S3 until it is off), so
 * nothing written by the cluster's hosts can be called final before this returns. One that is
 * neither shutting down nor terminated (launched after the sweep, or stopped) is terminated again.
 * Throws a `DeploymentError` naming the instances and their states when the wait runs out.
 */
export async function waitInstancesTerminated(
  options: WaitTerminatedOptions,
): Promise<{ readonly waitedMs: number; readonly sawLive: boolean }> {
  const { aws, cluster, signal } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const started = now();
  let sawLive = false;
  for (;;) {
    const live = await liveInstances(aws, cluster);
    if (live.length === 0) return { waitedMs: now() - started, sawLive };
    sawLive = true;
    if (now() - started >= timeoutMs) {
      throw new DeploymentError(
        'DELETE_INSTANCES_NOT_TERMINATED',
        `instances of cluster ${cluster} are still not terminated after ${Math.round(timeoutMs / 1000)} s: ` +
          `${live.map((i) => `${i.id} (${i.state})`).join(', ')}; check them in the EC2 console and run delete again`,
      );
    }
    const again = live.filter((i) => i.state !== 'shutting-down').map((i) => i.id);
    if (again.length > 0) await aws.ec2Sweep.terminateInstances(again);
    await sleep(options.pollIntervalMs ?? 2_000, signal);
  }
}

/** Options of {@link sweepObjectsUntilQuiet}. */
export interface QuietSweepOptions {
  readonly aws: AwsClients;
  readonly cluster: string;
  readonly events: EventSink;
  readonly signal?: AbortSignal;
  /** Keep the objects under `<cluster>/backups/`. @default false */
  readonly keepBackups?: boolean;
  /** How long the cluster's prefix must stay empty. @default 3_000 */
  readonly quietMs?: number;
  /**
   * When the quiet period began: the moment the instances were seen terminated, which can be
   * before this sweep starts (the listings of an earlier sweep count). @default now
   */
  readonly quietSince?: number;
  /** Pause between listings. @default a third of `quietMs`, within 100 ms – 1 s */
  readonly pollIntervalMs?: number;
  /** Give up when objects still appear after this long. @default 60_000 (at least 10 × `quietMs`) */
  readonly timeoutMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Deletes the cluster's S3 objects (as the sweep does: `store/`, `bundles/`, `backups/` unless
 * kept, tagged staged templates) again and again until a listing has found none for `quietMs`
 * (counted from `quietSince`).
 * Run after the instances are terminated: an upload in flight when an instance went down can
 * still land a moment later. Bounded: when objects keep appearing, throws a `DeploymentError`
 * naming the last ones seen (something outside the cluster's instances writes under its prefix).
 */
export async function sweepObjectsUntilQuiet(
  options: QuietSweepOptions,
): Promise<{ deleted: readonly string[]; listings: number }> {
  const { aws, cluster, events, signal } = options;
  const now = options.now ?? Date.now;
  const quietMs = options.quietMs ?? 3_000;
  const pollMs = options.pollIntervalMs ?? Math.max(100, Math.min(1_000, Math.floor(quietMs / 3)));
  const timeoutMs = options.timeoutMs ?? Math.max(60_000, 10 * quietMs);
  const started = now();
  let lastSeen = Math.min(options.quietSince ?? started, started);
  let listings = 0;
  const deleted: string[] = [];
  for (;;) {
    const { left } = await objectLeftovers(aws, cluster, { keepBackups: options.keepBackups ?? false });
    listings++;
    if (left.length > 0) {
      lastSeen = now();
      if (lastSeen - started >= timeoutMs) {
        const prefix = `s3://${left[0]?.detail?.bucket?.bucket ?? '?'}/${clusterS3Paths(cluster).all}`;
        throw new DeploymentError(
          'DELETE_OBJECTS_NOT_QUIET',
          `objects still appear under ${prefix} ${Math.round(timeoutMs / 1000)} s after the cluster's ` +
            `instances were terminated (${left.map((l) => l.id).join(', ')}): something else writes ` +
            'there; stop it and run delete again',
        );
      }
      for (const l of left) {
        const bucket = l.detail?.bucket;
        if (!bucket) continue;
        // DeleteObject succeeds for a key that is already gone (S3 semantics).
        await aws.s3.deleteObject(bucket, l.id.slice(`s3://${bucket.bucket}/`.length));
        deleted.push(l.id);
        events.emit({
          code: 'sweep.deleted',
          level: 'info',
          message: `${l.kind} ${l.id}`,
          data: { kind: l.kind, id: l.id },
        });
      }
    } else if (now() - lastSeen >= quietMs) {
      return { deleted, listings };
    }
    await sleep(pollMs, signal);
  }
}
