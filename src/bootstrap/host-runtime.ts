import { type EventSink, silentEvents } from '../events.js';
import { stateRoot } from '../naming.js';
import type { RemoteShell } from '../ssh/remote-shell.js';
import type { HostLayout } from './layout.js';
import { type NodeRuntime, type RuntimeArch, runtimeArch } from './node-runtime.js';
import type { PreflightFacts } from './preflight.js';
import { loadNodeRuntime, runtimeCacheDir } from './runtime-cache.js';
import { type EnsureNodeRuntimeResult, ensureNodeRuntime } from './runtime-install.js';

/**
 * Where a host's services get Node.js: `pinned` is tugboat's own runtime (node-runtime.json),
 * uploaded to hosts that lack it, so the host needs no Node.js at all; `host` is the host's own
 * node (≥ 20, installed with its package manager when missing).
 */
export type NodeRuntimeMode = 'pinned' | 'host';

/** How bootstrap gives hosts their Node.js. */
export interface HostRuntimeOptions {
  /** @default 'pinned' */
  readonly nodeRuntime?: NodeRuntimeMode;
  /**
   * Gives the pinned runtime's verified tarball for an architecture; called at most once per
   * architecture and run. @default {@link loadNodeRuntime} with `runtimeCache`, fetched with
   * `npm pack` on a miss
   */
  readonly loadRuntime?: (arch: RuntimeArch) => Promise<NodeRuntime>;
  /** Where the default `loadRuntime` caches tarballs. @default `<state root>/.cache/node-runtime` */
  readonly runtimeCache?: string;
  /** @default silentEvents */
  readonly events?: EventSink;
}

/** Per-host options of the function {@link hostRuntimeInstaller} returns. */
export interface HostRuntimeStep {
  readonly layout: HostLayout;
  readonly force?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * A function that gives one host (whose preflight `facts` are known) the node its services run:
 * the pinned runtime, loaded once per architecture for all hosts and uploaded only where missing,
 * or the host's own node.
 */
export function hostRuntimeInstaller(options: HostRuntimeOptions) {
  const events = options.events ?? silentEvents;
  const load =
    options.loadRuntime ??
    ((arch: RuntimeArch) =>
      loadNodeRuntime(arch, { cacheDir: options.runtimeCache ?? runtimeCacheDir(stateRoot()), events }));
  const loaded = new Map<RuntimeArch, Promise<NodeRuntime>>();
  return async (
    shell: RemoteShell,
    facts: PreflightFacts,
    step: HostRuntimeStep,
  ): Promise<EnsureNodeRuntimeResult> => {
    if (options.nodeRuntime === 'host') return { nodePath: facts.nodePath, bytesUploaded: 0 };
    const arch = runtimeArch(facts.arch);
    // Preflight refuses other architectures before this runs.
    if (!arch) throw new Error(`${shell.host}: no Node.js runtime for architecture ${facts.arch}`);
    let runtime = loaded.get(arch);
    if (!runtime) {
      runtime = load(arch);
      loaded.set(arch, runtime);
    }
    return ensureNodeRuntime(shell, await runtime, {
      layout: step.layout,
      events,
      ...(step.force ? { force: true } : {}),
      ...(step.signal ? { signal: step.signal } : {}),
    });
  };
}
