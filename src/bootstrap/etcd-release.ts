import { posix } from 'node:path';
import { type EtcdSourceName, etcdMirrorProblem } from '../config/etcd.js';
import { TugboatError } from '../errors.js';
import { clusterS3Paths } from '../provision/template/storage-names.js';
import { quote } from '../ssh/quote.js';
import pinFile from './etcd-release.json' with { type: 'json' };
import { renderLockedUnpack } from './install-lock.js';
import type { HostLayout } from './layout.js';

/**
 * etcd from its official release: one pinned version of the `etcd-vX.Y.Z-linux-ARCH.tar.gz`
 * tarballs etcd publishes on GitHub, with the SHA-256 of each (etcd-release.json, the one place
 * they live). Used where the host has no etcd package (Amazon Linux): the laptop fetches and
 * verifies the tarball once, stages it in the cluster's S3 prefix, and every host checks it again
 * before it unpacks it into `/opt/tugboat/etcd/v<version>/`.
 */
export type EtcdArch = 'amd64' | 'arm64';

export const ETCD_ARCHS: readonly EtcdArch[] = ['amd64', 'arm64'];

/** The pin: one etcd version, the SHA-256 of its tarball per architecture. */
export interface EtcdReleasePin {
  readonly version: string;
  readonly archives: Readonly<Record<EtcdArch, { readonly sha256: string }>>;
}

/**
 * Where etcd's binary comes from on a master: `package` is the distribution's (`/usr/bin/etcd`,
 * `etcd-server` on Debian/Ubuntu), `release` the pinned release staged in S3, `auto` the package
 * when the host has one, else the release.
 */
export type EtcdSource = EtcdSourceName;

/** etcd's own release downloads: `<base>/v<version>/etcd-v<version>-linux-<arch>.tar.gz`. */
export const DEFAULT_ETCD_MIRROR = 'https://github.com/etcd-io/etcd/releases/download';

/** The environment variable that overrides the mirror (over the spec's `etcd.mirror`). */
export const ETCD_MIRROR_ENV = 'TUGBOAT_ETCD_MIRROR';

const VERSION = /^\d+\.\d+\.\d+$/;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Checks a pin (etcd-release.json, or one a test or a user supplies): a plain `X.Y.Z` version and a
 * lowercase hex SHA-256 for each of amd64 and arm64. Throws naming the bad field.
 */
export function parseEtcdReleasePin(value: unknown, source = 'etcd release pin'): EtcdReleasePin {
  const bad = (what: string) => new TugboatError('ETCD_PIN_INVALID', `${source}: ${what}`, { exitCode: 2 });
  if (typeof value !== 'object' || value === null) throw bad('is not an object');
  const v = value as { version?: unknown; archives?: unknown };
  if (typeof v.version !== 'string' || !VERSION.test(v.version))
    throw bad(`version ${JSON.stringify(v.version)} is not a release version like 3.5.27`);
  if (typeof v.archives !== 'object' || v.archives === null) throw bad('archives is missing');
  const archives = v.archives as Record<string, { sha256?: unknown } | undefined>;
  for (const key of Object.keys(archives))
    if (!ETCD_ARCHS.includes(key as EtcdArch))
      throw bad(`archives.${key}: unknown architecture (amd64 or arm64)`);
  const out = {} as Record<EtcdArch, { sha256: string }>;
  for (const arch of ETCD_ARCHS) {
    const sha = archives[arch]?.sha256;
    if (typeof sha !== 'string' || !SHA256.test(sha))
      throw bad(`archives.${arch}.sha256 ${JSON.stringify(sha)} is not a SHA-256 (64 lowercase hex digits)`);
    out[arch] = { sha256: sha };
  }
  return { version: v.version, archives: out };
}

/** The pinned release (etcd-release.json). */
export const ETCD_RELEASE: EtcdReleasePin = parseEtcdReleasePin(pinFile, 'src/bootstrap/etcd-release.json');

/** etcd's architecture name for a host's `uname -m`, or undefined when etcd publishes no build for it. */
export function etcdArch(unameMachine: string): EtcdArch | undefined {
  if (unameMachine === 'x86_64' || unameMachine === 'amd64' || unameMachine === 'x64') return 'amd64';
  if (unameMachine === 'aarch64' || unameMachine === 'arm64') return 'arm64';
  return undefined;
}

/** The architecture, or an error naming the machine and what is supported. */
export function requireEtcdArch(unameMachine: string, host: string): EtcdArch {
  const arch = etcdArch(unameMachine);
  if (!arch)
    throw new TugboatError(
      'ETCD_ARCH',
      `${host}: etcd publishes no release for machine "${unameMachine}" (x86_64 and aarch64 only): install the distribution's etcd there and set etcd.source: package`,
      { exitCode: 2 },
    );
  return arch;
}

/** `etcd-v3.5.27-linux-amd64`: the tarball's top directory. */
export function etcdReleaseName(pin: Pick<EtcdReleasePin, 'version'>, arch: EtcdArch): string {
  return `etcd-v${pin.version}-linux-${arch}`;
}

/** `etcd-v3.5.27-linux-amd64.tar.gz`. */
export function etcdArchiveName(pin: Pick<EtcdReleasePin, 'version'>, arch: EtcdArch): string {
  return `${etcdReleaseName(pin, arch)}.tar.gz`;
}

/**
 * Checks a mirror base URL: http(s), no credentials, query or fragment (it ends up in events and
 * logs). Returns it without a trailing slash. Throws naming `field`.
 */
export function parseEtcdMirror(text: string, field = 'etcd.mirror'): string {
  const problem = etcdMirrorProblem(text);
  if (problem) {
    // Never echo credentials back: show the origin and path only when the text parses.
    let shown = text;
    try {
      const u = new URL(text);
      shown = `${u.protocol}//${u.host}${u.pathname}`;
    } catch {}
    throw new TugboatError('ETCD_MIRROR_INVALID', `${field} "${shown}" ${problem}`, { exitCode: 2 });
  }
  const url = new URL(text);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** Where a pinned tarball is downloaded from: `<mirror>/v<version>/<tarball>`. Pure. */
export function etcdReleaseUrl(
  pin: Pick<EtcdReleasePin, 'version'>,
  arch: EtcdArch,
  mirror: string = DEFAULT_ETCD_MIRROR,
): string {
  return `${mirror.replace(/\/+$/, '')}/v${pin.version}/${etcdArchiveName(pin, arch)}`;
}

/**
 * The S3 key of a pinned tarball in a cluster's prefix, by its content:
 * `<cluster>/etcd/<sha256>/etcd-v<version>-linux-<arch>.tar.gz`. `create`, `update` and `upgrade`
 * stage it (store etcd); masters booting from user-data fetch it.
 */
export function etcdReleaseObjectKey(cluster: string, pin: EtcdReleasePin, arch: EtcdArch): string {
  return `${clusterS3Paths(cluster).etcd}${pin.archives[arch].sha256}/${etcdArchiveName(pin, arch)}`;
}

/**
 * Where a release lives on a host: `/opt/tugboat/etcd/v<version>/{etcd,etcdctl}`, with a marker
 * naming the tarball and its SHA-256. A new version is a new directory, so the service's command
 * changes with the pin and the member restarts on the new binary.
 */
export function etcdReleasePaths(layout: HostLayout, version: string) {
  const root = posix.join(layout.opt, 'etcd');
  const dir = posix.join(root, `v${version}`);
  return {
    root,
    dir,
    etcd: posix.join(dir, 'etcd'),
    etcdctl: posix.join(dir, 'etcdctl'),
    marker: posix.join(dir, '.tugboat-etcd'),
    /** Held (flock) while a release is unpacked (SSH bootstrap and boot may run at once). */
    lock: `${root}.lock`,
  };
}

/** The marker's content: tarball name and SHA-256. */
export function etcdReleaseMarker(pin: EtcdReleasePin, arch: EtcdArch): string {
  return `${etcdArchiveName(pin, arch)} ${pin.archives[arch].sha256}`;
}

/** How long an unpack waits for another one on the same host. */
export const ETCD_LOCK_WAIT_SECONDS = 600;

/**
 * Shell lines that check the tarball in `"$part"` against the pin's SHA-256, unpack `etcd` and
 * `etcdctl` into `"$new"`, prove etcd runs and reports the pinned version, write the marker and
 * rename it into place — under an exclusive `flock` (bounded), checking again once held. Other
 * versions are kept: during a roll the members not yet restarted still run theirs (and a
 * supervisor restarting one needs its binary); `uninstall` removes them all. A tarball that does
 * not match leaves nothing behind and exits 1 with both checksums.
 */
export function renderEtcdUnpack(
  pin: EtcdReleasePin,
  arch: EtcdArch,
  p: ReturnType<typeof etcdReleasePaths>,
): string[] {
  const name = etcdReleaseName(pin, arch);
  const file = etcdArchiveName(pin, arch);
  const sha = pin.archives[arch].sha256;
  const present = `[ -x ${quote(p.etcd)} ] && [ -x ${quote(p.etcdctl)} ] && [ "$(cat ${quote(p.marker)} 2>/dev/null)" = ${quote(etcdReleaseMarker(pin, arch))} ]`;
  return renderLockedUnpack({
    ...p,
    waitSeconds: ETCD_LOCK_WAIT_SECONDS,
    label: file,
    present,
    check: [
      'sum=$(sha256sum "$part" | cut -d" " -f1)',
      `[ "$sum" = ${sha} ] || { echo "${file}: SHA-256 $sum differs from the pinned ${sha}: refusing to install it" >&2; exit 1; }`,
    ],
    stage: [
      `tar -xzf "$part" -C "$new" --no-same-owner --strip-components=1 ${quote(`${name}/etcd`)} ${quote(`${name}/etcdctl`)}`,
      `v=$("$new/etcd" --version 2>&1 | head -n 1) || { echo ${quote(`${file}: the unpacked etcd does not run on this host`)} >&2; exit 1; }`,
      `[ "$v" = ${quote(`etcd Version: ${pin.version}`)} ] || { echo "${file}: unpacked etcd reports '$v'" >&2; exit 1; }`,
      `printf '%s\\n' ${quote(etcdReleaseMarker(pin, arch))} > "$new/.tugboat-etcd"`,
    ],
  });
}
