import type { BucketRef, S3Api } from '../aws/s3.js';
import { clusterS3Paths } from '../provision/template/storage-names.js';

/** What a failed boot leaves at `<cluster>/boot/<instance-id>.json` for `tugboat status`. */
export interface BootFailure {
  readonly instanceId: string;
  readonly role: 'master' | 'worker';
  readonly group?: string;
  /** The error's message: what is missing and what to do (no secrets: boot errors name no values). */
  readonly reason: string;
  readonly at: string;
}

/** Longest reason kept (a boot error is a sentence or two; the log has the rest). */
const MAX_REASON = 2000;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export const bootReportKey = (cluster: string, instanceId: string): string =>
  `${clusterS3Paths(cluster).boot}${instanceId}.json`;

/** Writes the failure report of one instance (overwriting an older one of the same instance). */
export async function writeBootFailure(
  s3: S3Api,
  ref: BucketRef,
  cluster: string,
  failure: BootFailure,
): Promise<void> {
  const body = { ...failure, reason: failure.reason.slice(0, MAX_REASON) };
  await s3.putBytes(
    ref,
    bootReportKey(cluster, failure.instanceId),
    Buffer.from(`${JSON.stringify(body)}\n`),
  );
}

/**
 * The failure reports of the given instances (others, e.g. of instances gone since, are ignored);
 * a report that is not one (unreadable JSON, wrong shape) is skipped, never thrown.
 */
export async function readBootFailures(
  s3: S3Api,
  ref: BucketRef,
  cluster: string,
  instanceIds: readonly string[],
): Promise<BootFailure[]> {
  const wanted = new Set(instanceIds.filter((id) => INSTANCE_ID.test(id)));
  const keys = new Set(await s3.listKeys(ref, clusterS3Paths(cluster).boot));
  const out: BootFailure[] = [];
  for (const id of [...wanted].sort()) {
    const key = bootReportKey(cluster, id);
    if (!keys.has(key)) continue;
    const bytes = await s3.getBytes(ref, key);
    try {
      const r = JSON.parse(Buffer.from(bytes ?? []).toString('utf8')) as Partial<BootFailure>;
      if (typeof r.reason === 'string' && (r.role === 'master' || r.role === 'worker'))
        out.push({
          instanceId: id,
          role: r.role,
          ...(typeof r.group === 'string' ? { group: r.group } : {}),
          reason: r.reason.slice(0, MAX_REASON),
          at: typeof r.at === 'string' ? r.at : '',
        });
    } catch {
      // Not a report tugboat wrote: nothing to show.
    }
  }
  return out;
}
