import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TugboatError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import {
  DEFAULT_ETCD_MIRROR,
  ETCD_MIRROR_ENV,
  ETCD_RELEASE,
  type EtcdArch,
  type EtcdReleasePin,
  etcdArchiveName,
  etcdReleaseUrl,
  parseEtcdMirror,
} from './etcd-release.js';
import { firstLine, loadPinnedFile } from './pinned-cache.js';

/** A verified release tarball, ready to stage or upload. */
export interface EtcdRelease {
  readonly pin: EtcdReleasePin;
  readonly arch: EtcdArch;
  readonly tarball: Buffer;
}

/** Downloads `url`; resolves to its bytes. */
export type EtcdReleaseFetcher = (url: string, signal: AbortSignal) => Promise<Buffer>;

/** Options of {@link loadEtcdRelease}. */
export interface LoadEtcdReleaseOptions {
  /** Where verified tarballs are kept (`<state root>/.cache/etcd-release`). */
  readonly cacheDir: string;
  /** @default ETCD_RELEASE */
  readonly pin?: EtcdReleasePin;
  /**
   * Base URL of the release downloads (the spec's `etcd.mirror`); `TUGBOAT_ETCD_MIRROR` in `env`
   * wins over it. @default DEFAULT_ETCD_MIRROR
   */
  readonly mirror?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default an HTTP GET with fetch(), following redirects (GitHub's go to its CDN) */
  readonly fetch?: EtcdReleaseFetcher;
  /** Limit for one download. @default 600000 */
  readonly timeoutMs?: number;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** The hex SHA-256 of some bytes (what `sha256sum` prints). */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Where tugboat caches etcd releases under a state root. */
export function etcdReleaseCacheDir(stateRoot: string): string {
  return join(stateRoot, '.cache', 'etcd-release');
}

/** The mirror in effect: `TUGBOAT_ETCD_MIRROR`, else the given one, else etcd's GitHub releases; checked. */
export function effectiveEtcdMirror(
  mirror: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const fromEnv = env[ETCD_MIRROR_ENV];
  if (fromEnv) return parseEtcdMirror(fromEnv, ETCD_MIRROR_ENV);
  return mirror ? parseEtcdMirror(mirror) : DEFAULT_ETCD_MIRROR;
}

/** Limit on a tarball's size (etcd 3.5's are about 20 MB). */
export const ETCD_RELEASE_MAX_BYTES = 200 * 1024 * 1024;

const httpFetch: EtcdReleaseFetcher = async (url, signal) => {
  const res = await fetch(url, { signal, redirect: 'follow' });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  }
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > ETCD_RELEASE_MAX_BYTES) {
    await res.body?.cancel();
    throw new Error(`${length} bytes is over the ${ETCD_RELEASE_MAX_BYTES}-byte limit`);
  }
  const data = Buffer.from(await res.arrayBuffer());
  if (data.length > ETCD_RELEASE_MAX_BYTES) throw new Error(`over the ${ETCD_RELEASE_MAX_BYTES}-byte limit`);
  return data;
};

/**
 * The pinned etcd release for `arch`, verified: from the cache when it holds the tarball with the
 * pinned SHA-256, else downloaded once from the mirror, verified and cached. A tarball that does
 * not match is never used nor cached: a damaged cached copy is downloaded again, a downloaded one
 * fails with both checksums (`ETCD_RELEASE_CHECKSUM`).
 */
export async function loadEtcdRelease(arch: EtcdArch, options: LoadEtcdReleaseOptions): Promise<EtcdRelease> {
  const pin = options.pin ?? ETCD_RELEASE;
  const file = etcdArchiveName(pin, arch);
  const want = pin.archives[arch].sha256;
  const tarball = await loadPinnedFile({
    cacheDir: options.cacheDir,
    pinned: { file, want, checksum: sha256Hex },
    events: options.events ?? silentEvents,
    damaged: {
      code: 'etcd-release.cache-damaged',
      level: 'warn',
      message: `cached ${file} at ${join(options.cacheDir, file)} does not match its pinned SHA-256: downloading it again`,
      data: { file, path: join(options.cacheDir, file) },
    },
    source: () => {
      const mirror = effectiveEtcdMirror(options.mirror, options.env ?? process.env);
      const url = etcdReleaseUrl(pin, arch, mirror);
      return {
        fetching: {
          code: 'etcd-release.fetch',
          level: 'info',
          message: `downloading etcd ${pin.version} (${arch}) from ${url} (once; cached in ${options.cacheDir})`,
          data: { url, cacheDir: options.cacheDir },
        },
        fetch: () => (options.fetch ?? httpFetch)(url, AbortSignal.timeout(options.timeoutMs ?? 600_000)),
        unavailable: (err) =>
          new TugboatError(
            'ETCD_RELEASE_UNAVAILABLE',
            `could not download etcd ${pin.version} from ${url}: ${firstLine(err)}: set etcd.mirror (or ${ETCD_MIRROR_ENV}) to a mirror of etcd's releases, place ${file} in ${options.cacheDir}, or use the distribution's etcd (etcd.source: package)`,
            { exitCode: 4, cause: err },
          ),
        mismatch: (got) =>
          new TugboatError(
            'ETCD_RELEASE_CHECKSUM',
            `${file} from ${url} does not match its pin: expected SHA-256 ${want}, got ${got}; nothing was cached or installed`,
            { exitCode: 4 },
          ),
      };
    },
  });
  return { pin, arch, tarball };
}
