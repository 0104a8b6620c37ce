import { createHash } from 'node:crypto';
import type { AwsClients } from '../aws/clients.js';
import type { BucketRef } from '../aws/s3.js';
import { CLUSTER_TAG } from '../aws/types.js';
import { DeploymentError } from '../errors.js';
import type { EventSink } from '../events.js';
import { TEMPLATE_BODY_LIMIT } from './template/index.js';
import { clusterBucketName } from './template/storage-names.js';

/** The largest template CloudFormation accepts from S3 (`TemplateURL`). */
export const TEMPLATE_URL_LIMIT = 1_000_000;

/** The tag every template bucket carries, so it is recognisable as tugboat's. */
export const MANAGED_TAG = 'tugboat:managed';

/**
 * The shared bucket of staged templates for one account and region. Deterministic, so any
 * machine (a CI job deleting what another created) finds the same bucket without local state.
 */
export function templateBucketName(account: string, region: string): string {
  return clusterBucketName(account, region);
}

export { clusterBucketName, clusterS3Paths, clusterStatePrefix } from './template/storage-names.js';

/** `<cluster>/<sha256 of the body>.json`: one prefix per cluster, one key per template content. */
export function templateObjectKey(cluster: string, body: string): string {
  return `${cluster}/${createHash('sha256').update(body).digest('hex')}.json`;
}

/**
 * The TemplateURL of an object, in the virtual-hosted form real AWS expects. It is used with
 * custom endpoints too: CloudFormation resolves it server-side, and moto (which reads the bucket
 * from the first label of the host unless the host says `localhost`) and LocalStack (which maps
 * AWS S3 URLs onto its own S3) both accept this form, while `<endpoint>/<bucket>/<key>` fails on
 * moto for an endpoint such as http://127.0.0.1:4566 (it looks for a bucket named "127").
 */
export function templateUrl(bucket: string, region: string, key: string): string {
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${bucket}.s3.${region}.${domain}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** Where the cluster's staged templates live: the bucket, its owner and the region. */
export async function templateBucket(aws: AwsClients): Promise<BucketRef> {
  const owner = await aws.sts.accountId();
  return { bucket: templateBucketName(owner, aws.region), owner };
}

/** A template staged in S3; `remove` deletes the object (failures are reported, never thrown). */
export interface StoredTemplate {
  readonly url: string;
  readonly bucket: string;
  readonly key: string;
  remove(): Promise<void>;
}

/** Uploads templates too large to pass inline. */
export interface TemplateStore {
  put(body: string): Promise<StoredTemplate>;
}

/** Options of `s3TemplateStore`. */
export interface S3TemplateStoreOptions {
  readonly aws: AwsClients;
  readonly cluster: string;
  readonly events: EventSink;
}

/**
 * Stages templates in the account's private tugboat bucket (created on demand), under the
 * cluster's prefix and tagged with the cluster, so `tugboat delete` finds what a crash left.
 */
export function s3TemplateStore(options: S3TemplateStoreOptions): TemplateStore {
  const { aws, cluster, events } = options;
  return {
    async put(body) {
      const ref = await templateBucket(aws);
      await aws.s3.ensurePrivateBucket(ref, { [MANAGED_TAG]: 'true' });
      const key = templateObjectKey(cluster, body);
      await aws.s3.putObject(ref, key, body, { [CLUSTER_TAG]: cluster });
      events.emit({
        code: 'stack.template-staged',
        level: 'info',
        message: `template (${Buffer.byteLength(body, 'utf8')} bytes) staged in s3://${ref.bucket}/${key}`,
        data: { bucket: ref.bucket, key },
      });
      return {
        url: templateUrl(ref.bucket, aws.region, key),
        bucket: ref.bucket,
        key,
        async remove() {
          try {
            await aws.s3.deleteObject(ref, key);
          } catch (err) {
            events.emit({
              code: 'stack.template-left',
              level: 'warn',
              message: `could not delete s3://${ref.bucket}/${key} (${(err as Error).message}); \`tugboat delete\` removes it`,
            });
          }
        },
      };
    },
  };
}

/** How a template travels to CloudFormation: inline, or by URL with a clean-up to run after. */
export interface StagedTemplate {
  readonly source: { readonly templateBody: string } | { readonly templateUrl: string };
  /** Deletes the staged object (a no-op for inline templates); never throws. */
  release(): Promise<void>;
}

/**
 * The template as compact JSON, inline when it fits CloudFormation's 51,200-byte limit and
 * otherwise uploaded through `store` (up to 1 MB). Fails before any change when it cannot be sent.
 */
export async function stageTemplate(
  template: object,
  stackName: string,
  store: TemplateStore | undefined,
): Promise<StagedTemplate> {
  const body = JSON.stringify(template);
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes <= TEMPLATE_BODY_LIMIT) return { source: { templateBody: body }, release: async () => {} };
  if (bytes > TEMPLATE_URL_LIMIT) {
    throw new DeploymentError(
      'TEMPLATE_TOO_LARGE',
      `the template of ${stackName} is ${bytes} bytes, above CloudFormation's limit of ${TEMPLATE_URL_LIMIT}: use fewer worker groups or zones per cluster`,
    );
  }
  if (!store) {
    throw new DeploymentError(
      'TEMPLATE_TOO_LARGE',
      `the template of ${stackName} is ${bytes} bytes, above CloudFormation's inline limit of ${TEMPLATE_BODY_LIMIT}, and no template store was given: pass one (createCluster does) or use fewer worker groups`,
    );
  }
  const stored = await store.put(body);
  return { source: { templateUrl: stored.url }, release: () => stored.remove() };
}
