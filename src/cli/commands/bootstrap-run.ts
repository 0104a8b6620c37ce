import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bootstrapInventory,
  defaultKubeconfigPath,
  type EventSink,
  type HostBundle,
  mergeKubeconfig,
  parseHostInventory,
  RemoteCommandError,
  UsageError,
  uninstallInventory,
  writeKeyFile,
} from '../../index.js';
import { confirm } from '../confirm.js';
import { type CliIO, type GlobalOptions, printResult } from '../context.js';
import type { InventoryFlags } from './bootstrap.js';

/** Events as plain lines on stderr (debug ones only with --debug). */
function stderrEvents(io: CliIO, globals: GlobalOptions): EventSink {
  return {
    emit(e) {
      if (e.level !== 'debug' || globals.debug) io.stderr(`${e.level}: ${e.message}\n`);
    },
  };
}

/** The bundle `npm run build` wrote (dist/bundles/manifest.json above this module), or `--bundle`. */
export function loadBundle(io: CliIO, flag: string | undefined): HostBundle {
  if (flag) {
    const path = resolve(io.cwd, flag);
    if (!existsSync(path))
      throw new UsageError(`--bundle ${path} does not exist: run npm run build or fix the path`);
    return { file: basename(path), content: readFileSync(path) };
  }
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'dist', 'bundles', 'manifest.json');
    if (existsSync(manifest)) {
      const { file } = JSON.parse(readFileSync(manifest, 'utf8')) as { file: string };
      return { file, content: readFileSync(join(dir, 'dist', 'bundles', file)) };
    }
  }
  throw new UsageError(
    'no host bundle found: run `npm run build` (it writes dist/bundles/), or pass --bundle FILE',
  );
}

function concurrency(flag: string | undefined): number {
  const n = Number(flag ?? 10);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--concurrency "${flag}" must be a whole number of at least 1`);
  return n;
}

async function loadInventory(io: CliIO, file: string) {
  const path = resolve(io.cwd, file);
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read inventory ${path} (${err.code}): check the path`);
  });
  const inventory = parseHostInventory(text, path);
  const stateDir = join(io.env.TUGBOAT_STATE_DIR ?? join(homedir(), '.tugboat'), inventory.cluster);
  const keyFile = inventory.privateKeyFile?.replace(/^~(?=\/)/, homedir());
  return {
    inventory: keyFile ? { ...inventory, privateKeyFile: resolve(dirname(path), keyFile) } : inventory,
    stateDir,
  };
}

/** `tugboat bootstrap --inventory FILE`. Exit 4 when a host failed (the others are finished). */
export async function runBootstrap(
  io: CliIO,
  globals: GlobalOptions,
  flags: InventoryFlags,
): Promise<number> {
  const { inventory, stateDir } = await loadInventory(io, flags.inventory);
  const result = await bootstrapInventory({
    inventory,
    stateDir,
    bundle: loadBundle(io, flags.bundle),
    trustNewHosts: Boolean(flags.trustNewHosts),
    concurrency: concurrency(flags.concurrency),
    events: stderrEvents(io, globals),
    force: Boolean(flags.force),
  });
  writeKeyFile(join(stateDir, 'kubeconfig'), result.kubeconfig);
  const failed = result.hosts.filter((h) => !h.ok);
  let merged: string | undefined;
  if (failed.length === 0) {
    const target = flags.kubeconfig
      ? resolve(io.cwd, flags.kubeconfig)
      : defaultKubeconfigPath(io.env, homedir());
    // Without a terminal and without --yes, leave the user's kubeconfig alone (the cluster's own is written).
    const ask = flags.yes || io.interactive;
    if (
      ask &&
      (await confirm(io, `merge cluster ${inventory.cluster} into ${target}?`, Boolean(flags.yes)))
    ) {
      const existing = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
      writeKeyFile(target, mergeKubeconfig(existing, result.kubeconfig));
      merged = target;
    }
  }
  const hosts = result.hosts.map((h) =>
    h.ok
      ? {
          host: h.host,
          ok: true as const,
          bytesUploaded: h.value.bytesUploaded,
          changed: h.value.serviceChanged,
          ms: h.ms,
        }
      : {
          host: h.host,
          ok: false as const,
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
    { cluster: inventory.cluster, server: result.server, hosts, kubeconfig: merged ?? null },
    () =>
      [
        `cluster ${inventory.cluster}: API server ${result.server}`,
        ...hosts.map((h) =>
          h.ok
            ? `  ${h.host}: ok (${h.changed ? 'installed or updated' : 'unchanged'}, ${h.bytesUploaded} bytes uploaded)`
            : `  ${h.host}: FAILED: ${h.error}`,
        ),
        merged
          ? `kubeconfig: context ${inventory.cluster} merged into ${merged}`
          : `kubeconfig: ${join(stateDir, 'kubeconfig')}`,
      ].join('\n'),
  );
  return failed.length === 0 ? 0 : 4;
}

/** `tugboat uninstall --inventory FILE`. */
export async function runUninstall(
  io: CliIO,
  globals: GlobalOptions,
  flags: InventoryFlags,
): Promise<number> {
  const { inventory, stateDir } = await loadInventory(io, flags.inventory);
  const names = [inventory.master, ...inventory.workers].map((h) => h.name).join(', ');
  if (!(await confirm(io, `remove tugboat from ${names}?`, Boolean(flags.yes)))) return 1;
  const outcomes = await uninstallInventory({
    inventory,
    stateDir,
    trustNewHosts: Boolean(flags.trustNewHosts),
    concurrency: concurrency(flags.concurrency),
    events: stderrEvents(io, globals),
  });
  const hosts = outcomes.map((o) =>
    o.ok ? { host: o.host, ok: true } : { host: o.host, ok: false, error: o.error.message },
  );
  printResult(io, globals, { cluster: inventory.cluster, hosts }, () =>
    hosts.map((h) => (h.ok ? `${h.host}: removed` : `${h.host}: FAILED: ${h.error}`)).join('\n'),
  );
  return outcomes.every((o) => o.ok) ? 0 : 4;
}
