import { uninstallInventory } from '../bootstrap/bootstrap-inventory.js';
import {
  bootstrapCluster,
  type ClusterBootstrapContext,
  type ClusterBootstrapOptions,
  type ClusterBootstrapResult,
} from '../bootstrap/cluster-bootstrap.js';
import type { HostOutcome } from '../bootstrap/run-hosts.js';
import type { UninstallResult } from '../bootstrap/uninstall.js';
import { silentEvents } from '../events.js';
import { type ClusterAccess, type ClusterAccessOptions, readClusterAccess } from './access.js';
import { markEtcdFormedAfterBootstrap } from './etcd-formation-step.js';
import { type SettingsBootstrapOptions, settingsBootstrapOptions } from './stack-settings.js';
import { withWorkerInstall } from './worker-install-step.js';

/** Options of {@link bootstrapRunningCluster}. */
export interface BootstrapRunningOptions
  extends ClusterAccessOptions,
    Omit<ClusterBootstrapOptions, keyof SettingsBootstrapOptions | 'stateRoot' | 'skipReady'> {}

/**
 * `tugboat bootstrap NAME`: bootstraps the hosts of a running cluster that are not working yet —
 * the master when the control plane does not answer, every instance that is not a Ready node —
 * and leaves the rest alone (`force` reinstalls everything). Hosts come from the stack's
 * auto-scaling groups; see {@link readClusterAccess}. Like create, it holds the worker install
 * marker while it installs (`by` bootstrap), so a worker booting from user-data meanwhile leaves
 * its host to it. `install` is the SSH bootstrap itself (tests pass their own).
 */
export async function bootstrapRunningCluster(
  options: BootstrapRunningOptions,
  install: (context: ClusterBootstrapContext) => Promise<ClusterBootstrapResult> = bootstrapCluster,
): Promise<ClusterBootstrapResult> {
  const access = await readClusterAccess(options);
  const events = options.events ?? silentEvents;
  const context = {
    ...options,
    cluster: access.cluster,
    inventory: access.inventory,
    keyPair: access.keyPair,
    stack: access.stack,
    events,
    ...settingsBootstrapOptions(access.settings),
    skipReady: true,
  };
  // After the stack and hosts were found (a mistyped NAME leaves no marker behind).
  const result = await withWorkerInstall(
    options.aws.ssm,
    { cluster: access.cluster, by: 'bootstrap', bootstrap: true, events },
    () => install(context),
  );
  // A cluster formed before the marker existed gets it here, so its replaced masters join.
  await markEtcdFormedAfterBootstrap(
    options.aws.ssm,
    context,
    result.hosts.filter((h) => !h.ok).map((h) => h.host),
  );
  return result;
}

/** Options of {@link uninstallRunningCluster}. */
export interface UninstallRunningOptions extends ClusterAccessOptions {
  /** Record host keys never seen before (`--trust-new-hosts`). @default false */
  readonly trustNewHosts?: boolean;
  /** Hosts cleaned at once. @default 10 */
  readonly concurrency?: number;
  /** Keep the local-path volumes' data (`--keep-data`). @default false */
  readonly keepData?: boolean;
  /** The cluster's hosts as already read (e.g. to show them before asking). @default read them now */
  readonly access?: ClusterAccess;
}

/** `tugboat uninstall NAME`: removes tugboat's services, processes and files from every running instance. */
export async function uninstallRunningCluster(
  options: UninstallRunningOptions,
): Promise<HostOutcome<UninstallResult>[]> {
  const access = options.access ?? (await readClusterAccess(options));
  return uninstallInventory({
    inventory: access.hosts,
    stateDir: access.stateDir,
    trustNewHosts: options.trustNewHosts ?? false,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.keepData ? { keepData: true } : {}),
    ...(options.events ? { events: options.events } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
