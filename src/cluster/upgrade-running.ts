import { type ClusterBootstrapOptions, clusterInventoryOptions } from '../bootstrap/cluster-bootstrap.js';
import { silentEvents } from '../events.js';
import { runUpgrade, type UpgradeOptions, type UpgradeResult } from '../upgrade/roll.js';
import { type ClusterAccessOptions, readClusterAccess } from './access.js';
import { markEtcdFormedAfterBootstrap } from './etcd-formation-step.js';
import { type SettingsBootstrapOptions, settingsBootstrapOptions } from './stack-settings.js';

/** Options of {@link upgradeRunningCluster}. */
export interface UpgradeRunningOptions
  extends ClusterAccessOptions,
    Omit<ClusterBootstrapOptions, keyof SettingsBootstrapOptions | 'stateRoot' | 'skipReady' | 'force'>,
    Pick<UpgradeOptions, 'target' | 'maxUnavailable' | 'allowDowngrade' | 'dryRun' | 'drain'> {}

/**
 * `tugboat upgrade NAME`: the cluster's hosts (from its stack, as `tugboat bootstrap NAME` finds
 * them) rolled to the bundle's version; see {@link runUpgrade}.
 */
export async function upgradeRunningCluster(options: UpgradeRunningOptions): Promise<UpgradeResult> {
  const access = await readClusterAccess(options);
  const settings = access.settings;
  const context = {
    ...options,
    cluster: access.cluster,
    inventory: access.inventory,
    keyPair: access.keyPair,
    stack: access.stack,
    events: options.events ?? silentEvents,
    ...settingsBootstrapOptions(settings),
  };
  const inventory = clusterInventoryOptions(context);
  const result = await runUpgrade({
    ...inventory,
    ...(options.target ? { target: options.target } : {}),
    ...(options.maxUnavailable !== undefined ? { maxUnavailable: options.maxUnavailable } : {}),
    ...(options.allowDowngrade !== undefined ? { allowDowngrade: options.allowDowngrade } : {}),
    ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}),
    ...(options.drain ? { drain: options.drain } : {}),
  });
  // A finished roll left every master a healthy etcd member: a cluster older than the marker gets it.
  if (result.applied) await markEtcdFormedAfterBootstrap(options.aws.ssm, context, []);
  return result;
}
