import { createHash } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsCall, isAwsError } from './errors.js';
import type { BucketRef } from './s3.js';
import type { Tags } from './types.js';

/** The S3 calls of the host bundle upload: content-addressed objects, written once. */
export interface S3BundleApi {
  /** Whether the object exists (objects are named by their content's hash, so that is enough). */
  objectExists(ref: BucketRef, key: string): Promise<boolean>;
  /** Writes `body` with its SHA-256 checksum, which S3 verifies on arrival (a damaged upload is refused). */
  putBinary(ref: BucketRef, key: string, body: Buffer, tags: Tags): Promise<void>;
}

/** The bundle calls over the SDK client. */
export function sdkS3Bundle(client: S3Client, endpoint?: string): S3BundleApi {
  const call = <T>(action: string, fn: () => Promise<T>) => awsCall(`s3:${action}`, fn, endpoint);
  return {
    async objectExists(ref, key) {
      try {
        await call('HeadObject', () =>
          client.send(
            new HeadObjectCommand({ Bucket: ref.bucket, ExpectedBucketOwner: ref.owner, Key: key }),
          ),
        );
        return true;
      } catch (err) {
        if (isAwsError(err, 'NotFound', 'NoSuchKey')) return false;
        throw err;
      }
    },
    async putBinary(ref, key, body, tags) {
      await call('PutObject', () =>
        client.send(
          new PutObjectCommand({
            Bucket: ref.bucket,
            ExpectedBucketOwner: ref.owner,
            Key: key,
            Body: body,
            ContentType: 'application/octet-stream',
            ServerSideEncryption: 'AES256',
            ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
            Tagging: new URLSearchParams(Object.entries(tags)).toString(),
          }),
        ),
      );
    },
  };
}
