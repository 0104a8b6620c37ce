import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  PutBucketEncryptionCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { awsCall, isAwsError } from './errors.js';
import { collectPages } from './pages.js';
import { type Tags, tagsFromList, tagsToList } from './types.js';

/** Where a bucket lives and who must own it (every call passes ExpectedBucketOwner). */
export interface BucketRef {
  readonly bucket: string;
  /** The account that must own the bucket; a bucket of the same name elsewhere is refused. */
  readonly owner: string;
}

/**
 * A condition on a write (S3 conditional writes): `ifNoneMatch: '*'` creates the key only when it
 * is absent; `ifMatch` replaces it only while its ETag is still that one. moto 5.2.1 honours both
 * on PutObject (412 PreconditionFailed otherwise), but checks and writes without a lock, so only
 * real S3 makes the check atomic against a concurrent writer.
 */
export interface PutCondition {
  readonly ifNoneMatch?: '*';
  readonly ifMatch?: string;
}

/** The outcome of a conditional write: written (with its ETag), or the condition did not hold. */
export type PutResult = { readonly ok: true; readonly etag: string } | { readonly ok: false };

/** The S3 calls tugboat makes (staging large CloudFormation templates, shipping the store's state). */
export interface S3Api {
  /**
   * Creates the bucket when missing (a bucket this account already owns is fine), then makes
   * it private: public access blocked, default encryption (SSE-S3), and the given tags.
   */
  ensurePrivateBucket(ref: BucketRef, tags: Tags): Promise<void>;
  putObject(ref: BucketRef, key: string, body: string, tags: Tags): Promise<void>;
  deleteObject(ref: BucketRef, key: string): Promise<void>;
  /** Keys under `prefix`; none when the bucket does not exist. */
  listKeys(ref: BucketRef, prefix: string): Promise<string[]>;
  objectTags(ref: BucketRef, key: string): Promise<Tags>;
  /** Writes bytes (SSE-S3, private), optionally only under `condition`. */
  putBytes(ref: BucketRef, key: string, body: Uint8Array, condition?: PutCondition): Promise<PutResult>;
  /** The object's bytes, or undefined when the key (or the bucket) does not exist. */
  getBytes(ref: BucketRef, key: string): Promise<Uint8Array | undefined>;
}

/** The S3 API over the SDK client. */
export function sdkS3(client: S3Client, region: string, endpoint?: string): S3Api {
  const call = <T>(action: string, fn: () => Promise<T>) => awsCall(`s3:${action}`, fn, endpoint);
  return {
    async ensurePrivateBucket(ref, tags) {
      try {
        await call('CreateBucket', () =>
          client.send(
            new CreateBucketCommand({
              Bucket: ref.bucket,
              // us-east-1 is the one region that refuses an explicit location constraint.
              ...(region === 'us-east-1'
                ? {}
                : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
            }),
          ),
        );
      } catch (err) {
        if (!isAwsError(err, 'BucketAlreadyOwnedByYou')) throw err;
      }
      const owner = { Bucket: ref.bucket, ExpectedBucketOwner: ref.owner };
      await call('PutPublicAccessBlock', () =>
        client.send(
          new PutPublicAccessBlockCommand({
            ...owner,
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              IgnorePublicAcls: true,
              BlockPublicPolicy: true,
              RestrictPublicBuckets: true,
            },
          }),
        ),
      );
      await call('PutBucketEncryption', () =>
        client.send(
          new PutBucketEncryptionCommand({
            ...owner,
            ServerSideEncryptionConfiguration: {
              Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
            },
          }),
        ),
      );
      await call('PutBucketTagging', () =>
        client.send(new PutBucketTaggingCommand({ ...owner, Tagging: { TagSet: tagsToList(tags) } })),
      );
    },
    async putObject(ref, key, body, tags) {
      await call('PutObject', () =>
        client.send(
          new PutObjectCommand({
            ...privateObject(ref, key),
            Body: body,
            ContentType: 'application/json',
            Tagging: new URLSearchParams(Object.entries(tags)).toString(),
          }),
        ),
      );
    },
    async deleteObject(ref, key) {
      await call('DeleteObject', () =>
        client.send(
          new DeleteObjectCommand({ Bucket: ref.bucket, ExpectedBucketOwner: ref.owner, Key: key }),
        ),
      );
    },
    async listKeys(ref, prefix) {
      try {
        const objects = await call('ListObjectsV2', () =>
          collectPages(
            paginateListObjectsV2(
              { client },
              { Bucket: ref.bucket, ExpectedBucketOwner: ref.owner, Prefix: prefix },
            ),
            (out) => out.Contents ?? [],
          ),
        );
        return objects.flatMap((o) => (o.Key ? [o.Key] : []));
      } catch (err) {
        if (isAwsError(err, 'NoSuchBucket')) return [];
        throw err;
      }
    },
    async objectTags(ref, key) {
      const out = await call('GetObjectTagging', () =>
        client.send(
          new GetObjectTaggingCommand({ Bucket: ref.bucket, ExpectedBucketOwner: ref.owner, Key: key }),
        ),
      );
      return tagsFromList(out.TagSet);
    },
    async putBytes(ref, key, body, condition = {}) {
      try {
        const out = await call('PutObject', () =>
          client.send(
            new PutObjectCommand({
              ...privateObject(ref, key),
              Body: body,
              ContentType: 'application/octet-stream',
              ...(condition.ifNoneMatch ? { IfNoneMatch: condition.ifNoneMatch } : {}),
              ...(condition.ifMatch ? { IfMatch: condition.ifMatch } : {}),
            }),
          ),
        );
        return { ok: true, etag: out.ETag ?? '' };
      } catch (err) {
        // 409 ConditionalRequestConflict: another conditional write to the key was in flight.
        if (isAwsError(err, 'PreconditionFailed', 'ConditionalRequestConflict')) return { ok: false };
        throw err;
      }
    },
    async getBytes(ref, key) {
      try {
        const out = await call('GetObject', () =>
          client.send(new GetObjectCommand({ Bucket: ref.bucket, ExpectedBucketOwner: ref.owner, Key: key })),
        );
        return out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
      } catch (err) {
        if (isAwsError(err, 'NoSuchKey', 'NoSuchBucket')) return undefined;
        throw err;
      }
    },
  };
}

/** Where an object goes and how it is kept: the expected owner's bucket, SSE-S3 encrypted. */
function privateObject(ref: BucketRef, key: string) {
  return {
    Bucket: ref.bucket,
    ExpectedBucketOwner: ref.owner,
    Key: key,
    ServerSideEncryption: 'AES256' as const,
  };
}
