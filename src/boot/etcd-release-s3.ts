import type { BucketRef, S3Api } from '../aws/s3.js';
import {
  ETCD_RELEASE,
  type EtcdArch,
  type EtcdReleasePin,
  etcdReleaseObjectKey,
} from '../bootstrap/etcd-release.js';
import { TugboatError } from '../errors.js';

/**
 * How a booting master gets the pinned etcd release: the tarball `create`, `update` and `upgrade`
 * staged in the cluster's S3 prefix ({@link etcdReleaseObjectKey}), read with the instance role.
 * The host checks it against the pinned SHA-256 before unpacking (ensureEtcdBinary), so a damaged
 * or replaced object is refused there. Instances never download it from the internet.
 */
export function s3EtcdReleaseLoader(
  s3: Pick<S3Api, 'getBytes'>,
  bucket: BucketRef,
  cluster: string,
  pin: EtcdReleasePin = ETCD_RELEASE,
): (arch: EtcdArch) => Promise<Uint8Array> {
  return async (arch) => {
    const key = etcdReleaseObjectKey(cluster, pin, arch);
    const bytes = await s3.getBytes(bucket, key);
    if (!bytes)
      throw new TugboatError(
        'ETCD_RELEASE_NOT_STAGED',
        `s3://${bucket.bucket}/${key} is missing: this host has no etcd package, and the pinned etcd ${pin.version} release is staged there by tugboat create, update and upgrade of a cluster with store etcd: run tugboat update ${cluster}, or install the distribution's etcd and set etcd.source: package`,
        { exitCode: 4 },
      );
    return bytes;
  };
}
