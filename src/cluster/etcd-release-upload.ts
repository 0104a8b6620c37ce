import type { AwsClients } from '../aws/clients.js';
import { CLUSTER_TAG } from '../aws/types.js';
import {
  ETCD_RELEASE,
  type EtcdArch,
  type EtcdReleasePin,
  etcdArchiveName,
  etcdReleaseObjectKey,
} from '../bootstrap/etcd-release.js';
import { effectiveEtcdMirror, sha256Hex } from '../bootstrap/etcd-release-cache.js';
import type { RuntimeArch } from '../bootstrap/node-runtime.js';
import type { EventSink } from '../events.js';
import type { ClusterSettings } from '../provision/template/settings.js';
import { MANAGED_TAG, templateBucket } from '../provision/template-store.js';

/** etcd's names for the runtime architectures a template's instances use. */
export function etcdArchsOf(archs: readonly RuntimeArch[]): EtcdArch[] {
  return archs.map((a) => (a === 'x64' ? 'amd64' : 'arm64'));
}

/**
 * Checks, before any AWS call, what staging the release will use: with store etcd (not
 * `etcd.source: package`) the mirror in effect (`TUGBOAT_ETCD_MIRROR`, else the spec's) must be a
 * usable URL. Throws `ETCD_MIRROR_INVALID` naming where it came from.
 */
export function checkEtcdStaging(
  settings: ClusterSettings | undefined,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (settings?.store !== 'etcd' || settings.etcd?.source === 'package') return;
  effectiveEtcdMirror(settings.etcd?.mirror, env);
}

/** Options of {@link uploadEtcdReleases}. */
export interface UploadEtcdReleasesOptions {
  readonly aws: AwsClients;
  readonly cluster: string;
  readonly archs: readonly EtcdArch[];
  /** The verified tarball of an architecture (loadEtcdRelease: the laptop's cache, else the mirror). */
  readonly load: (arch: EtcdArch) => Promise<Uint8Array>;
  readonly events: EventSink;
  /** @default ETCD_RELEASE */
  readonly pin?: EtcdReleasePin;
  /**
   * A release that cannot be staged fails the command (`etcd.source: release`); otherwise
   * (`auto`) it is a warning: masters with the distribution's package do not need it, and one
   * without stops at boot saying it is not staged. @default true
   */
  readonly required?: boolean;
}

/**
 * Stages the pinned etcd release where masters booting from user-data fetch it: once per cluster
 * and architecture, under its content-addressed key ({@link etcdReleaseObjectKey}); a key S3
 * already has is neither loaded nor sent again. A master without an etcd package has no other
 * source (instances never download it themselves), so with `required` a release that cannot be
 * loaded fails the command before the stack is touched. Returns the keys staged.
 */
export async function uploadEtcdReleases(options: UploadEtcdReleasesOptions): Promise<string[]> {
  const { aws, cluster, events } = options;
  const pin = options.pin ?? ETCD_RELEASE;
  const ref = await templateBucket(aws);
  await aws.s3.ensurePrivateBucket(ref, { [MANAGED_TAG]: 'true' });
  const keys: string[] = [];
  for (const arch of options.archs) {
    const key = etcdReleaseObjectKey(cluster, pin, arch);
    const present = await aws.s3Bundles.objectExists(ref, key);
    if (!present) {
      let tarball: Buffer;
      try {
        tarball = Buffer.from(await options.load(arch));
      } catch (err) {
        if (options.required ?? true) throw err;
        events.emit({
          code: 'etcd-release.upload-failed',
          level: 'warn',
          message: `etcd ${pin.version} (${arch}) not staged in s3://${ref.bucket}/${key}: ${(err as Error).message.split('\n')[0]}; masters with the distribution's etcd do not need it, others stop at boot until it is (tugboat update ${cluster} stages it)`,
          data: { bucket: ref.bucket, key, arch },
        });
        continue;
      }
      const got = sha256Hex(tarball);
      if (got !== pin.archives[arch].sha256)
        throw new Error(
          `loaded ${etcdArchiveName(pin, arch)} has SHA-256 ${got}, not the pinned ${pin.archives[arch].sha256}`,
        );
      await aws.s3Bundles.putBinary(ref, key, tarball, { [CLUSTER_TAG]: cluster });
    }
    events.emit({
      code: 'etcd-release.uploaded',
      level: 'info',
      message: present
        ? `etcd ${pin.version} (${arch}) already in s3://${ref.bucket}/${key}`
        : `etcd ${pin.version} (${arch}) uploaded to s3://${ref.bucket}/${key}`,
      data: { bucket: ref.bucket, key, arch, uploaded: !present },
    });
    keys.push(key);
  }
  return keys;
}
