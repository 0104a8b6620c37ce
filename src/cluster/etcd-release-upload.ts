import {
  ETCD_RELEASE,
  type EtcdArch,
  type EtcdReleasePin,
  etcdArchiveName,
  etcdReleaseObjectKey,
} from '../bootstrap/etcd-release.js';
import { effectiveEtcdMirror, sha256Hex } from '../bootstrap/etcd-release-cache.js';
import type { RuntimeArch } from '../bootstrap/node-runtime.js';
import type { ClusterSettings } from '../provision/template/settings.js';
import { type StagingPolicy, type StagingTarget, stageOnce } from './stage-once.js';

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
export interface UploadEtcdReleasesOptions extends StagingTarget<EtcdArch> {
  /** The verified tarball of an architecture (loadEtcdRelease: the laptop's cache, else the mirror). */
  readonly load: (arch: EtcdArch) => Promise<Uint8Array>;
  /** @default ETCD_RELEASE */
  readonly pin?: EtcdReleasePin;
  /**
   * A release that cannot be loaded fails the command (`etcd.source: release`); otherwise
   * (`auto`) it is a warning: masters with the distribution's package do not need it, and one
   * without stops at boot saying it is not staged. An S3 error, or a loaded tarball that is not
   * the pinned one, fails it either way ({@link StagingPolicy} `warn-if-unavailable`). @default true
   */
  readonly required?: boolean;
}

/**
 * Stages the pinned etcd release where masters booting from user-data fetch it: once per cluster
 * and architecture, under its content-addressed key ({@link etcdReleaseObjectKey}); a key S3
 * already has is neither loaded nor sent again ({@link stageOnce}). A master without an etcd
 * package has no other source (instances never download it themselves), so with `required` a
 * release that cannot be loaded fails the command before the stack is touched. Returns the keys staged.
 */
export async function uploadEtcdReleases(options: UploadEtcdReleasesOptions): Promise<string[]> {
  const { cluster } = options;
  const pin = options.pin ?? ETCD_RELEASE;
  const staged = await stageOnce({
    aws: options.aws,
    cluster,
    archs: options.archs,
    key: (arch) => etcdReleaseObjectKey(cluster, pin, arch),
    load: options.load,
    verify: (arch, tarball) => {
      const got = sha256Hex(tarball);
      if (got !== pin.archives[arch].sha256)
        throw new Error(
          `loaded ${etcdArchiveName(pin, arch)} has SHA-256 ${got}, not the pinned ${pin.archives[arch].sha256}`,
        );
    },
    policy: (options.required ?? true) ? 'required' : 'warn-if-unavailable',
    events: options.events,
    code: 'etcd-release',
    label: (arch) => `etcd ${pin.version} (${arch})`,
    failed: (arch, where, reason) =>
      `etcd ${pin.version} (${arch}) not staged in ${where}: ${reason}; masters with the distribution's etcd do not need it, others stop at boot until it is (tugboat update ${cluster} stages it)`,
  });
  return staged.map((s) => s.key);
}
