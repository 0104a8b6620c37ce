import { mastersOf } from '../../bootstrap/bootstrap-hosts.js';
import {
  bootstrapRunningCluster,
  readClusterAccess,
  UsageError,
  uninstallRunningCluster,
} from '../../index.js';
import { buildClusterSettings, type ClusterSettings } from '../../provision/template/settings.js';
import type { AwsFlags } from '../support/aws-flags.js';
import { type AwsSession, withAwsSession } from '../support/aws-session.js';
import { confirm } from '../support/confirm.js';
import { type CliIO, cliStateRoot, EXIT_DECLINED, type GlobalOptions } from '../support/context.js';
import { loadSpecArg } from '../support/spec-input.js';
import type { InventoryFlags } from './bootstrap.js';
import {
  concurrency,
  loadBundle,
  mergeUserKubeconfig,
  reportBootstrap,
  reportUninstall,
  uninstallQuestion,
} from './bootstrap-run.js';

/** `-f FILE` with NAME: settings and region from the spec (whose name must be NAME). */
async function specSettings(
  io: CliIO,
  name: string,
  file: string | undefined,
): Promise<{ settings?: ClusterSettings; region?: string }> {
  if (!file) return {};
  const { spec } = await loadSpecArg(io, file);
  if (spec.name !== name) {
    throw new UsageError(
      `-f ${file} is the spec of cluster "${spec.name}", not "${name}": pass that cluster's spec`,
    );
  }
  return { settings: buildClusterSettings(spec), region: spec.region };
}

/** Runs `fn` in an AWS session with the cluster's access options (state root, settings from -f). */
export async function withCluster<T>(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: AwsFlags & { readonly file?: string },
  fn: (
    session: AwsSession,
    access: { cluster: string; settings?: ClusterSettings; stateRoot?: string },
  ) => Promise<T>,
): Promise<T> {
  const { settings, region } = await specSettings(io, name, flags.file);
  const stateRoot = cliStateRoot(io);
  return withAwsSession(io, globals, flags, region, (s) =>
    fn(s, { cluster: name, ...(settings ? { settings } : {}), stateRoot }),
  );
}

/** `tugboat bootstrap NAME`: the hosts of the cluster's stack that are not working yet (all with --force). */
export async function runBootstrapCluster(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: InventoryFlags,
): Promise<number> {
  const bundle = loadBundle(io, flags.bundle);
  const result = await withCluster(io, globals, name, flags, (s, access) =>
    bootstrapRunningCluster({
      ...access,
      aws: s.aws,
      events: s.events,
      signal: s.signal,
      bundle,
      trustNewHosts: Boolean(flags.trustNewHosts),
      force: Boolean(flags.force),
      concurrency: concurrency(flags.concurrency),
      failOnHostError: false,
    }),
  );
  const ok = result.hosts.every((h) => h.ok);
  const merged = ok ? await mergeUserKubeconfig(io, flags, name, result.kubeconfig) : undefined;
  return reportBootstrap(io, globals, name, result, {
    path: result.kubeconfigPath,
    ...(merged ? { merged } : {}),
  });
}

/** `tugboat uninstall NAME`: shows the hosts, asks unless --yes, removes tugboat from each. */
export async function runUninstallCluster(
  io: CliIO,
  globals: GlobalOptions,
  name: string,
  flags: InventoryFlags,
): Promise<number> {
  const outcomes = await withCluster(io, globals, name, flags, async (s, access) => {
    const found = await readClusterAccess({ ...access, aws: s.aws });
    const hosts = [...mastersOf(found.hosts), ...found.hosts.workers];
    await s.settle();
    const list = hosts.map((h) => `${h.name} (${h.address})`).join(', ');
    if (!(await confirm(io, uninstallQuestion(list, flags), Boolean(flags.yes)))) return undefined;
    return uninstallRunningCluster({
      ...access,
      access: found,
      aws: s.aws,
      events: s.events,
      signal: s.signal,
      trustNewHosts: Boolean(flags.trustNewHosts),
      concurrency: concurrency(flags.concurrency),
      keepData: Boolean(flags.keepData),
    });
  });
  if (!outcomes) return EXIT_DECLINED;
  return reportUninstall(io, globals, name, outcomes, flags);
}
