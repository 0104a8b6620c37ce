import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { mastersOf } from '../../bootstrap/bootstrap-hosts.js';
import {
  type BootstrapInventoryResult,
  bootstrapInventory,
  clusterStateDir,
  type EventSink,
  type HostBundle,
  type HostOutcome,
  loadHostBundle,
  parseBootstrapHosts,
  RemoteCommandError,
  runtimeCacheDir,
  type UninstallResult,
  UsageError,
  uninstallInventory,
} from '../../index.js';
import { kubeconfigDefaultFile, writeKeyFile } from '../../pki/index.js';
import { confirm } from '../support/confirm.js';
import { type CliIO, cliStateRoot, EXIT_DECLINED, type GlobalOptions } from '../support/context.js';
import { parseDuration } from '../support/duration.js';
import { lineSink } from '../support/event-lines.js';
import {
  addToUserKubeconfig,
  removeFromUserKubeconfig,
  renderKubeconfigRemoval,
  userKubeconfig,
} from '../support/kubeconfig-flags.js';
import { printResult } from '../support/output.js';
import { withDeadline } from '../support/timeout.js';
import type { InventoryFlags } from './bootstrap.js';

/** Events as plain lines on stderr (debug ones only with --debug; JSON lines with --progress json). */
export function stderrEvents(io: CliIO, globals: GlobalOptions): EventSink {
  return lineSink(io, globals);
}

/** The bundle `npm run build` wrote (see loadHostBundle), or `--bundle` (relative to the working directory). */
export function loadBundle(io: CliIO, flag: string | undefined): HostBundle {
  return loadHostBundle(flag ? resolve(io.cwd, flag) : undefined);
}

export function concurrency(flag: string | undefined): number {
  const n = Number(flag ?? 10);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--concurrency "${flag}" must be a whole number of at least 1`);
  return n;
}

/** Reads an inventory file (key path relative to it) and the state directory of its cluster. */
export async function loadInventory(io: CliIO, file: string) {
  const path = resolve(io.cwd, file);
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read inventory ${path} (${err.code}): check the path`);
  });
  const inventory = parseBootstrapHosts(text, path);
  const stateDir = clusterStateDir(inventory.cluster, cliStateRoot(io));
  const keyFile = inventory.privateKeyFile?.replace(/^~(?=\/)/, homedir());
  return {
    inventory: keyFile ? { ...inventory, privateKeyFile: resolve(dirname(path), keyFile) } : inventory,
    stateDir,
  };
}

/** Exactly one of NAME and --inventory. */
function target(command: string, name: string | undefined, flags: InventoryFlags): 'name' | 'inventory' {
  if (name && flags.inventory) {
    throw new UsageError(
      `tugboat ${command}: give a cluster NAME or --inventory FILE, not both (got "${name}" and --inventory ${flags.inventory})`,
    );
  }
  if (!name && !flags.inventory) {
    throw new UsageError(
      `tugboat ${command}: give a cluster NAME (hosts from its stack) or --inventory FILE (hosts.yaml)`,
    );
  }
  if (flags.file && !name)
    throw new UsageError(`tugboat ${command}: -f FILE goes with a cluster NAME, not --inventory`);
  return name ? 'name' : 'inventory';
}

/** Asks (or takes --yes) and merges the cluster's context into the user's kubeconfig; returns where. */
export async function mergeUserKubeconfig(
  io: CliIO,
  flags: InventoryFlags,
  cluster: string,
  kubeconfig: string,
): Promise<string | undefined> {
  const target = kubeconfigDefaultFile(userKubeconfig(io, flags));
  // Without a terminal and without --yes, leave the user's kubeconfig alone (the cluster's own is written).
  if (!(flags.yes || io.interactive)) return undefined;
  if (!(await confirm(io, `merge cluster ${cluster} into ${target}?`, Boolean(flags.yes)))) return undefined;
  return (await addToUserKubeconfig(io, flags, kubeconfig)).file;
}

/** Prints what bootstrap did per host (`--output json` gives the same as data); exit 4 when a host failed. */
export function reportBootstrap(
  io: CliIO,
  globals: GlobalOptions,
  cluster: string,
  result: BootstrapInventoryResult,
  kubeconfig: { readonly merged?: string; readonly path: string },
): number {
  const hosts = result.hosts.map((h) =>
    h.ok
      ? {
          host: h.host,
          ok: true as const,
          action: h.value.action,
          bytesUploaded: h.value.bytesUploaded,
          changed: h.value.serviceChanged,
          ms: h.ms,
        }
      : {
          host: h.host,
          ok: false as const,
          action: 'failed' as const,
          error: h.error.message,
          // A failed remote command also says which step and how it exited, for CI to act on.
          ...(h.error instanceof RemoteCommandError
            ? { step: h.error.step, exitCode: h.error.remoteExitCode }
            : {}),
          ms: h.ms,
        },
  );
  printResult(
    io,
    globals,
    { cluster, server: result.server, hosts, kubeconfig: kubeconfig.merged ?? null },
    () =>
      [
        `cluster ${cluster}: API server ${result.server}`,
        ...hosts.map((h) =>
          h.ok
            ? `  ${h.host}: ${h.action}${h.action === 'skipped-ready' ? '' : ` (${h.bytesUploaded} bytes uploaded${h.changed ? ', service restarted' : ''})`}`
            : `  ${h.host}: FAILED: ${h.error}`,
        ),
        kubeconfig.merged
          ? `kubeconfig: context ${cluster} merged into ${kubeconfig.merged}`
          : `kubeconfig: ${kubeconfig.path}`,
      ].join('\n'),
  );
  return hosts.every((h) => h.ok) ? 0 : 4;
}

/** `tugboat bootstrap NAME | --inventory FILE`. Exit 4 when a host failed (the others are finished). */
export async function runBootstrap(
  io: CliIO,
  globals: GlobalOptions,
  name: string | undefined,
  flags: InventoryFlags,
): Promise<number> {
  if (target('bootstrap', name, flags) === 'name') {
    const { runBootstrapCluster } = await import('./cluster-hosts-run.js');
    return runBootstrapCluster(io, globals, name!, flags);
  }
  const { inventory, stateDir } = await loadInventory(io, flags.inventory!);
  const bundle = loadBundle(io, flags.bundle);
  const controller = new AbortController();
  const ms = flags.timeout === undefined ? undefined : parseDuration(flags.timeout);
  const result = await withDeadline(
    { controller, ...(ms === undefined ? {} : { ms, text: flags.timeout }) },
    stderrEvents(io, globals),
    (events) =>
      bootstrapInventory({
        inventory,
        stateDir,
        bundle,
        runtimeCache: runtimeCacheDir(cliStateRoot(io)),
        trustNewHosts: Boolean(flags.trustNewHosts),
        force: Boolean(flags.force),
        concurrency: concurrency(flags.concurrency),
        agentPodNetwork: flags.podNetwork !== false,
        agentServiceProxy: flags.serviceProxy !== false,
        events,
        signal: controller.signal,
      }),
  );
  const path = join(stateDir, 'kubeconfig');
  writeKeyFile(path, result.kubeconfig);
  const ok = result.hosts.every((h) => h.ok);
  const merged = ok ? await mergeUserKubeconfig(io, flags, inventory.cluster, result.kubeconfig) : undefined;
  return reportBootstrap(io, globals, inventory.cluster, result, { path, ...(merged ? { merged } : {}) });
}

/**
 * Prints what uninstall did per host; exit 4 when a host failed. When every host is clean, the
 * cluster's context, user and cluster entries leave the user's kubeconfig (a failed host keeps
 * them, for the re-run that finishes).
 */
export async function reportUninstall(
  io: CliIO,
  globals: GlobalOptions,
  cluster: string,
  outcomes: readonly HostOutcome<UninstallResult>[],
  flags: InventoryFlags,
): Promise<number> {
  const ok = outcomes.every((o) => o.ok);
  const kubeconfig = ok ? await removeFromUserKubeconfig(io, flags, cluster) : { removed: false, files: [] };
  const hosts = outcomes.map((o) =>
    o.ok
      ? {
          host: o.host,
          ok: true,
          killedStragglers: o.value.killedStragglers,
          containersRemoved: o.value.containersRemoved,
          podProcessesStopped: o.value.podProcessesStopped,
          volumes: o.value.data,
          volumesKept: o.value.dataKept,
        }
      : { host: o.host, ok: false, error: o.error.message },
  );
  printResult(io, globals, { cluster, hosts, kubeconfig }, () =>
    [
      ...hosts.map((h) =>
        h.ok
          ? `${h.host}: removed${h.volumes?.length ? `${h.volumesKept ? '; kept' : ', with'} ${h.volumes.length} local-path volume(s)` : ''}`
          : `${h.host}: FAILED: ${h.error}`,
      ),
      ...renderKubeconfigRemoval(cluster, kubeconfig),
    ].join('\n'),
  );
  return ok ? 0 : 4;
}

/** The question uninstall asks: whose volumes' data goes too, unless --keep-data. */
export function uninstallQuestion(hosts: string, flags: InventoryFlags): string {
  return flags.keepData
    ? `remove tugboat from ${hosts}, keeping the local-path volumes' data?`
    : `remove tugboat from ${hosts}? Local-path volumes' data on them is deleted too (--keep-data keeps it)`;
}

/** `tugboat uninstall NAME | --inventory FILE`: asks unless --yes (and needs --yes without a terminal). */
export async function runUninstall(
  io: CliIO,
  globals: GlobalOptions,
  name: string | undefined,
  flags: InventoryFlags,
): Promise<number> {
  if (target('uninstall', name, flags) === 'name') {
    const { runUninstallCluster } = await import('./cluster-hosts-run.js');
    return runUninstallCluster(io, globals, name!, flags);
  }
  const { inventory, stateDir } = await loadInventory(io, flags.inventory!);
  const names = [...mastersOf(inventory), ...inventory.workers].map((h) => h.name).join(', ');
  if (!(await confirm(io, uninstallQuestion(names, flags), Boolean(flags.yes)))) return EXIT_DECLINED;
  const outcomes = await uninstallInventory({
    keepData: Boolean(flags.keepData),
    inventory,
    stateDir,
    trustNewHosts: Boolean(flags.trustNewHosts),
    concurrency: concurrency(flags.concurrency),
    events: stderrEvents(io, globals),
  });
  return reportUninstall(io, globals, inventory.cluster, outcomes, flags);
}
