import { type EventSink, silentEvents } from '../events.js';
import { quote } from '../ssh/quote.js';
import { type RemoteShell, runChecked } from '../ssh/remote-shell.js';
import type { HostLayout } from './layout.js';
import {
  type NodeRuntime,
  renderRuntimeUnpack,
  runtimeMarker,
  runtimePaths,
  runtimeSpec,
} from './node-runtime.js';

/** Options for {@link ensureNodeRuntime}. */
export interface EnsureNodeRuntimeOptions {
  readonly layout: HostLayout;
  /** Upload and unpack even when the host has this exact runtime (`--force`). @default false */
  readonly force?: boolean;
  /** @default silentEvents */
  readonly events?: EventSink;
  readonly signal?: AbortSignal;
}

/** What {@link ensureNodeRuntime} did. */
export interface EnsureNodeRuntimeResult {
  /** Absolute path of the runtime's node on the host: what the services run. */
  readonly nodePath: string;
  /** Bytes sent (0 when the host already had this exact runtime). */
  readonly bytesUploaded: number;
}

/**
 * Gives a host the pinned Node.js runtime under `/opt/tugboat/runtime/<version>/` unless it has
 * that exact one (same package and integrity in the marker, `bin/node` executable): one round trip
 * to check, one to send the tarball on stdin, check its SHA-512 on the host, unpack `bin/node`,
 * prove it runs, write the marker and move it into place. Runtimes of other versions are removed
 * (a service still running one keeps its open binary until it restarts on the new path).
 */
export async function ensureNodeRuntime(
  shell: RemoteShell,
  runtime: NodeRuntime,
  options: EnsureNodeRuntimeOptions,
): Promise<EnsureNodeRuntimeResult> {
  const p = runtimePaths(options.layout, runtime.version);
  const marker = runtimeMarker(runtime);
  const spec = runtimeSpec(runtime, runtime.package);
  const signal = options.signal ? { signal: options.signal } : {};
  const check = await runChecked(
    shell,
    `if [ -x ${quote(p.node)} ] && [ "$(cat ${quote(p.marker)} 2>/dev/null)" = ${quote(marker)} ]; then echo present; else echo absent; fi`,
    { step: 'check node runtime', timeoutMs: 60_000, ...signal },
  );
  if (!options.force && check.stdout.trim() === 'present') return { nodePath: p.node, bytesUploaded: 0 };
  // Hidden names (the sweep of other versions, `root/*`, skips them), this shell's own (`$$`).
  const script = [
    'set -e',
    'umask 022',
    `mkdir -p ${quote(p.root)}`,
    `part=${quote(`${p.root}/.${spec}.tgz.part.`)}$$`,
    `new=${quote(`${p.root}/.${runtime.version}.new.`)}$$`,
    'trap \'rm -rf "$part" "$new"\' EXIT',
    'cat > "$part"',
    ...renderRuntimeUnpack(runtime, p, { replace: options.force ?? false }),
  ].join('\n');
  await runChecked(shell, script, {
    step: `install node runtime ${spec}`,
    stdin: runtime.tarball,
    timeoutMs: 600_000,
    ...signal,
  });
  (options.events ?? silentEvents).emit({
    code: 'runtime.installed',
    level: 'info',
    message: `${shell.host}: Node.js ${runtime.version} (${runtime.arch}) installed in ${p.dir}`,
    data: { host: shell.host, version: runtime.version, arch: runtime.arch, bytes: runtime.tarball.length },
  });
  return { nodePath: p.node, bytesUploaded: runtime.tarball.length };
}
