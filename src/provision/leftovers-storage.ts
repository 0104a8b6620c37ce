import type { AwsClients } from '../aws/clients.js';
import { CLUSTER_TAG } from '../aws/types.js';
import type { Leftover } from './leftovers.js';
import { clusterS3Paths, secretsKeyAlias, secretsPath } from './template/storage-names.js';
import { templateBucket } from './template-store.js';

/** How `findLeftovers` treats the cluster's S3 objects. */
export interface StorageLeftoverOptions {
  /** Objects under `<cluster>/backups/` are kept: not listed as leftovers. @default false */
  readonly keepBackups?: boolean;
}

/** KMS states in which a key counts as gone: deletion is scheduled, or it is already deleted. */
const GONE_KEY_STATES = new Set(['PendingDeletion', 'PendingReplicaDeletion']);

/**
 * The cluster's parameters: everything under `/tugboat/<cluster>/` (the path is the cluster's
 * own; the parameters also carry the cluster tag).
 */
export async function parameterLeftovers(aws: AwsClients, cluster: string): Promise<Leftover[]> {
  const params = await aws.ssm.listParameters(secretsPath(cluster));
  return params.map((p) => ({ kind: 'ssm-parameter', id: p.name }));
}

/**
 * The cluster's KMS keys that are not yet pending deletion: the one its alias names and any
 * customer key tagged `tugboat:cluster=<cluster>` (the alias goes with the stack, the tag stays).
 */
export async function keyLeftovers(aws: AwsClients, cluster: string): Promise<Leftover[]> {
  const ids = new Set<string>();
  const byAlias = await aws.kms.describeKey(secretsKeyAlias(cluster));
  if (byAlias) ids.add(byAlias.id);
  for (const id of await aws.kms.listKeyIds()) {
    if (ids.has(id)) continue;
    // AWS-managed keys may refuse ListResourceTags; they are never the cluster's anyway.
    const tags = await aws.kms.keyTags(id).catch(() => ({}) as Record<string, string>);
    if (tags[CLUSTER_TAG] === cluster) ids.add(id);
  }
  const out: Leftover[] = [];
  for (const id of ids) {
    const key = await aws.kms.describeKey(id);
    if (key && key.manager !== 'AWS' && !GONE_KEY_STATES.has(key.state)) {
      out.push({ kind: 'kms-key', id, detail: { state: key.state } });
    }
  }
  return out;
}

/**
 * Staged templates directly under the cluster's prefix that carry the cluster's tag, and every
 * object in the cluster's sub-prefixes (`store/`, `bundles/`, `backups/` unless kept), which
 * belong to the cluster by their key.
 */
export async function objectLeftovers(
  aws: AwsClients,
  cluster: string,
  options: StorageLeftoverOptions = {},
): Promise<{ readonly left: Leftover[]; readonly kept: number }> {
  const bucket = await templateBucket(aws);
  const paths = clusterS3Paths(cluster);
  const left: Leftover[] = [];
  let kept = 0;
  for (const key of await aws.s3.listKeys(bucket, paths.all)) {
    const id = `s3://${bucket.bucket}/${key}`;
    if (key.slice(paths.all.length).includes('/')) {
      if (options.keepBackups && key.startsWith(paths.backups)) kept++;
      else left.push({ kind: 'state-object', id, detail: { bucket } });
    } else if ((await aws.s3.objectTags(bucket, key))[CLUSTER_TAG] === cluster) {
      left.push({ kind: 'template-object', id, detail: { bucket } });
    }
  }
  return { left, kept };
}
