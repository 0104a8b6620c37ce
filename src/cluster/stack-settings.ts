import type { StackInfo } from '../aws/cloudformation.js';
import type { ClusterBootstrapOptions } from '../bootstrap/cluster-bootstrap.js';
import { UsageError } from '../errors.js';
import { type ClusterSettings, OUTPUTS, parseClusterSettings } from '../provision/template/index.js';

/**
 * The settings a running cluster's stack keeps in its BootstrapSettings output (SSH user and address,
 * group labels, EIP groups). Throws a UsageError when the output is missing (a stack an older tugboat
 * made): `fix` says what to do instead.
 */
export function stackSettings(
  stack: StackInfo,
  fix = "pass -f with the cluster's spec file, or run tugboat update -f it once",
): ClusterSettings {
  const settings = parseClusterSettings(stack.outputs[OUTPUTS.bootstrapSettings]);
  if (!settings) {
    throw new UsageError(
      `stack ${stack.name} has no ${OUTPUTS.bootstrapSettings} output (an older tugboat made it): ${fix}`,
    );
  }
  return settings;
}

/** The error for a cluster whose stack is not in this region. */
export function noStackError(cluster: string, stackName: string): UsageError {
  return new UsageError(
    `cluster "${cluster}" has no stack ${stackName} in this region: check the name with tugboat list, or pass --region`,
  );
}

/** What bootstrap takes from a cluster's settings (spec or stack output), in one place. Pure. */
export type SettingsBootstrapOptions = Pick<
  ClusterBootstrapOptions,
  | 'user'
  | 'address'
  | 'groupLabels'
  | 'groupTaints'
  | 'podNetwork'
  | 'masterSchedulable'
  | 'backup'
  | 'store'
  | 'apiDns'
  | 'etcd'
>;

/** The bootstrap options a cluster's settings give: SSH user and address, groups, network, store. Pure. */
export function settingsBootstrapOptions(settings: ClusterSettings): SettingsBootstrapOptions {
  return {
    user: settings.sshUser,
    address: settings.sshAddress,
    groupLabels: settings.groupLabels,
    ...(settings.groupTaints ? { groupTaints: settings.groupTaints } : {}),
    ...(settings.podNetwork ? { podNetwork: settings.podNetwork } : {}),
    ...(settings.masterSchedulable !== undefined ? { masterSchedulable: settings.masterSchedulable } : {}),
    ...(settings.backup ? { backup: settings.backup } : {}),
    ...(settings.store ? { store: settings.store } : {}),
    ...(settings.apiDns ? { apiDns: settings.apiDns } : {}),
    ...(settings.etcd ? { etcd: settings.etcd } : {}),
  };
}
