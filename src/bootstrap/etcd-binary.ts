import { posix } from 'node:path';
import { TugboatError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import { stateRoot } from '../naming.js';
import { quote } from '../ssh/quote.js';
import { type RemoteShell, runChecked } from '../ssh/remote-shell.js';
import { DEFAULT_ETCD_PATH } from './etcd-install.js';
import {
  ETCD_RELEASE,
  type EtcdArch,
  type EtcdReleasePin,
  type EtcdSource,
  etcdArchiveName,
  etcdReleaseMarker,
  etcdReleasePaths,
  renderEtcdUnpack,
  requireEtcdArch,
} from './etcd-release.js';
import { etcdReleaseCacheDir, loadEtcdRelease } from './etcd-release-cache.js';
import type { HostLayout } from './layout.js';

/** Options of {@link ensureEtcdBinary}. */
export interface EnsureEtcdBinaryOptions {
  readonly layout: HostLayout;
  /** @default 'auto' */
  readonly source?: EtcdSource;
  /** Where the distribution's package puts etcd (its etcdctl beside it). @default DEFAULT_ETCD_PATH */
  readonly packagePath?: string;
  /** @default ETCD_RELEASE */
  readonly pin?: EtcdReleasePin;
  /**
   * The release tarball for an architecture (the laptop's verified cache over SSH, the cluster's
   * S3 prefix at boot); called only when the host needs it. The host checks it against the pin
   * again before unpacking.
   */
  readonly loadRelease: (arch: EtcdArch) => Promise<Uint8Array>;
  /** @default silentEvents */
  readonly events?: EventSink;
  readonly signal?: AbortSignal;
}

/** Which etcd a master runs. */
export interface EtcdBinary {
  readonly source: 'package' | 'release';
  readonly etcdPath: string;
  /** For the documented recovery (snapshot save / restore). */
  readonly etcdctlPath: string;
  /** Version of the release unpacked (source release). */
  readonly version?: string;
  /** Tarball bytes sent to the host (0 when it had this release or uses the package). */
  readonly bytesUploaded: number;
}

/**
 * Gives a master its etcd: the distribution's package when `source` allows it and the host has
 * it (`auto`, `package`), else the pinned release under `/opt/tugboat/etcd/v<version>/` — kept
 * when the host has that exact one (marker), otherwise the tarball is sent on stdin, checked
 * against the pinned SHA-256 on the host, unpacked and proved to run. `package` on a host without
 * it is an error saying how to fix it. One round trip to look, one to install.
 */
export async function ensureEtcdBinary(
  shell: RemoteShell,
  options: EnsureEtcdBinaryOptions,
): Promise<EtcdBinary> {
  const source = options.source ?? 'auto';
  const pin = options.pin ?? ETCD_RELEASE;
  const pkg = options.packagePath ?? DEFAULT_ETCD_PATH;
  const fromPackage: EtcdBinary = {
    source: 'package',
    etcdPath: pkg,
    etcdctlPath: posix.join(posix.dirname(pkg), 'etcdctl'),
    bytesUploaded: 0,
  };
  const signal = options.signal ? { signal: options.signal } : {};
  const probe = await runChecked(
    shell,
    `uname -m; if [ -x ${quote(pkg)} ]; then echo package; else echo none; fi`,
    {
      step: 'look for etcd',
      timeoutMs: 60_000,
      ...signal,
    },
  );
  const [machine = '', hasPackage] = probe.stdout.trim().split('\n');
  if (source !== 'release' && hasPackage === 'package') return fromPackage;
  if (source === 'package')
    throw new TugboatError(
      'ETCD_NOT_INSTALLED',
      `${shell.host}: etcd.source is package but ${pkg} is not there: install the distribution's etcd (etcd-server on Debian/Ubuntu), or set etcd.source to auto or release (the pinned etcd ${pin.version} release)`,
      { exitCode: 4 },
    );
  const arch = requireEtcdArch(machine.trim(), shell.host);
  const p = etcdReleasePaths(options.layout, pin.version);
  const release: Omit<EtcdBinary, 'bytesUploaded'> = {
    source: 'release',
    etcdPath: p.etcd,
    etcdctlPath: p.etcdctl,
    version: pin.version,
  };
  const check = await runChecked(
    shell,
    `if [ -x ${quote(p.etcd)} ] && [ -x ${quote(p.etcdctl)} ] && [ "$(cat ${quote(p.marker)} 2>/dev/null)" = ${quote(etcdReleaseMarker(pin, arch))} ]; then echo present; else echo absent; fi`,
    { step: 'look for etcd release', timeoutMs: 60_000, ...signal },
  );
  if (check.stdout.trim() === 'present') return { ...release, bytesUploaded: 0 };
  const tarball = Buffer.from(await options.loadRelease(arch));
  const file = etcdArchiveName(pin, arch);
  const script = [
    'set -e',
    'umask 022',
    `mkdir -p ${quote(p.root)}`,
    `part=${quote(`${p.root}/.${file}.part.`)}$$`,
    `new=${quote(`${p.root}/.v${pin.version}.new.`)}$$`,
    'trap \'rm -rf "$part" "$new"\' EXIT',
    'cat > "$part"',
    ...renderEtcdUnpack(pin, arch, p),
  ].join('\n');
  await runChecked(shell, script, {
    step: `install etcd ${pin.version}`,
    stdin: tarball,
    timeoutMs: 600_000,
    ...signal,
  });
  (options.events ?? silentEvents).emit({
    code: 'etcd-release.installed',
    level: 'info',
    message: `${shell.host}: etcd ${pin.version} (${arch}) installed in ${p.dir}`,
    data: { host: shell.host, version: pin.version, arch, bytes: tarball.length },
  });
  return { ...release, bytesUploaded: tarball.length };
}

/** Options of {@link etcdReleaseLoader}. */
export interface EtcdReleaseLoaderOptions {
  /** @default ETCD_RELEASE */
  readonly etcdPin?: EtcdReleasePin;
  /** The spec's `etcd.mirror`. @default etcd's GitHub releases */
  readonly etcdMirror?: string;
  /** @default `<state root>/.cache/etcd-release` */
  readonly etcdReleaseCache?: string;
  /** Replaces the laptop cache (tests, callers with their own source). */
  readonly loadEtcdRelease?: (arch: EtcdArch) => Promise<Uint8Array>;
  readonly events?: EventSink;
}

/**
 * The laptop side of SSH bootstrap: the verified release per architecture, loaded at most once
 * per run (from the cache, else the mirror) and only when a master needs it.
 */
export function etcdReleaseLoader(
  options: EtcdReleaseLoaderOptions,
): (arch: EtcdArch) => Promise<Uint8Array> {
  const loaded = new Map<EtcdArch, Promise<Uint8Array>>();
  return (arch) => {
    let release = loaded.get(arch);
    if (!release) {
      release =
        options.loadEtcdRelease?.(arch) ??
        loadEtcdRelease(arch, {
          cacheDir: options.etcdReleaseCache ?? etcdReleaseCacheDir(stateRoot()),
          ...(options.etcdPin ? { pin: options.etcdPin } : {}),
          ...(options.etcdMirror ? { mirror: options.etcdMirror } : {}),
          ...(options.events ? { events: options.events } : {}),
        }).then((r) => r.tarball);
      loaded.set(arch, release);
    }
    return release;
  };
}
