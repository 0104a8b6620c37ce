import { createHash } from 'node:crypto';
import type { AwsClients } from '../aws/clients.js';
import { CLUSTER_TAG } from '../aws/types.js';
import type { EventSink } from '../events.js';
import { PARAMETERS } from './template/names.js';
import { MANAGED_TAG, templateBucket } from './template-store.js';

/**
 * `<cluster>/bundles/<sha256>/<file>`: the host bundle by its content's SHA-256, so a key never
 * names two contents and a booting instance can check what it fetched against the key it asked for.
 */
export function bundleObjectKey(cluster: string, sha256: string, file: string): string {
  return `${cluster}/bundles/${sha256}/${file}`;
}

/** A host bundle in the cluster's S3 prefix. */
export interface UploadedBundle {
  readonly bucket: string;
  readonly key: string;
  readonly sha256: string;
  readonly file: string;
  /** False when the object was already there (same content, nothing sent). */
  readonly uploaded: boolean;
}

/** Options for {@link uploadHostBundle}. */
export interface UploadHostBundleOptions {
  readonly aws: AwsClients;
  readonly cluster: string;
  /** The host bundle (src/bootstrap's HostBundle; named by shape, as bootstrap builds on this folder). */
  readonly bundle: { readonly file: string; readonly content: Buffer };
  readonly events: EventSink;
}

/**
 * Puts the host bundle where the cluster's instances fetch it at boot: the account's private
 * tugboat bucket (made on demand, as for staged templates), under the content-addressed key. An
 * object that is already there is left alone, so `update` with an unchanged bundle sends nothing.
 */
export async function uploadHostBundle(options: UploadHostBundleOptions): Promise<UploadedBundle> {
  const { aws, cluster, bundle, events } = options;
  const sha256 = createHash('sha256').update(bundle.content).digest('hex');
  const ref = await templateBucket(aws);
  const key = bundleObjectKey(cluster, sha256, bundle.file);
  await aws.s3.ensurePrivateBucket(ref, { [MANAGED_TAG]: 'true' });
  const present = await aws.s3Bundles.objectExists(ref, key);
  if (!present) await aws.s3Bundles.putBinary(ref, key, bundle.content, { [CLUSTER_TAG]: cluster });
  events.emit({
    code: 'bundle.uploaded',
    level: 'info',
    message: present
      ? `host bundle already in s3://${ref.bucket}/${key}`
      : `host bundle (${bundle.content.length} bytes) uploaded to s3://${ref.bucket}/${key}`,
    data: { bucket: ref.bucket, key, sha256, uploaded: !present },
  });
  return { bucket: ref.bucket, key, sha256, file: bundle.file, uploaded: !present };
}

/**
 * The stack parameters that point instances at a bundle. A new bundle changes BundleSha256, which
 * gives the launch templates a new version: what the auto-scaling groups launch next.
 */
export function bundleParameters(bundle: UploadedBundle | undefined): Record<string, string> {
  return {
    [PARAMETERS.bundleBucket]: bundle?.bucket ?? '',
    [PARAMETERS.bundleSha256]: bundle?.sha256 ?? '',
    [PARAMETERS.bundleFile]: bundle?.file ?? '',
  };
}

/** Whether a template takes the bundle parameters (tugboat's own do; hand-written test templates may not). */
export function templateTakesBundle(template: object): boolean {
  const params = (template as { Parameters?: Record<string, unknown> }).Parameters ?? {};
  return PARAMETERS.bundleSha256 in params;
}
