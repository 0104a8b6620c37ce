/**
 * tugboat's library API: create, update, scale, inspect and delete clusters (they bootstrap by
 * themselves), render the template, bootstrap hosts, load and check a cluster spec, events, errors
 * and naming. Internals (agent, control plane, store, PKI, SSH, template ids) are not exported:
 * the CLI and tests that need them import their modules directly.
 */

// AWS lifecycle: create, inspect, change and delete clusters.
export { type AwsClients, type AwsClientsOptions, createAwsClients } from './aws/clients.js';
export * from './bootstrap/index.js';
// Working on a running cluster by name (bootstrap, ssh, uninstall NAME) and the shared post-stack steps.
export {
  type ClusterAccess,
  type ClusterAccessOptions,
  readClusterAccess,
  selectClusterHost,
} from './cluster/access.js';
export {
  type ClusterBackupOptions,
  clusterStateTarget,
  createClusterBackup,
  listClusterBackups,
} from './cluster/backup.js';
export {
  type BootstrapRunningOptions,
  bootstrapRunningCluster,
  type UninstallRunningOptions,
  uninstallRunningCluster,
} from './cluster/bootstrap-running.js';
export type { BootstrapOption, BootstrapSettings } from './cluster/bootstrap-step.js';
export {
  type CreateClusterOptions,
  type CreateClusterResult,
  createCluster,
} from './cluster/create.js';
export { buildClusterDefinition } from './cluster/definition.js';
export {
  type DeleteClusterOptions,
  type DeleteClusterResult,
  type DeletePlan,
  deleteCluster,
} from './cluster/delete.js';
export type {
  AssignClusterEipsOptions,
  ListEipsOptions,
} from './cluster/eips.js';
export { assignEips, listEips } from './cluster/eips.js';
export {
  type RestoreClusterOptions,
  type RestoreClusterResult,
  restoreCluster,
} from './cluster/restore.js';
export { type ScaleGroupOptions, type ScaleGroupResult, scaleGroup } from './cluster/scale.js';
export {
  type FetchAdminKubeconfigOptions,
  fetchAdminKubeconfig,
} from './cluster/secrets-kubeconfig.js';
export {
  type ClusterStatus,
  type ClusterStatusOptions,
  type ClusterSummary,
  clusterStatus,
  listClusters,
} from './cluster/status.js';
export type { ClusterDefinition, LifecycleOptions } from './cluster/types.js';
export { type UpdateClusterOptions, type UpdateClusterResult, updateCluster } from './cluster/update.js';
export { type UpgradeRunningOptions, upgradeRunningCluster } from './cluster/upgrade-running.js';
export {
  API_VERSION,
  type ApiSpec,
  adviseClusterSpec,
  buildClusterSpecJsonSchema,
  type CheckResult,
  type ClusterSpec,
  type ClusterSpecInput,
  checkClusterSpec,
  type ExampleSpecOptions,
  type ExistingVpcNetwork,
  KIND,
  KNOWN_REGIONS,
  loadClusterSpec,
  type MasterSpec,
  type NetworkSpec,
  type NewVpcNetwork,
  parseClusterSpec,
  renderExampleSpec,
  type WorkerGroupSpec,
} from './config/index.js';
export type {
  BackupInfo,
  BackupRestorePlan,
  ChangeList,
} from './control-plane/store/shipping/index.js';
export * from './drain/index.js';
export * from './errors.js';
export * from './events.js';
export {
  CLUSTER_NAME_MAX,
  checkClusterName,
  clusterStateDir,
  keyPairName,
  localStateDir,
  stackNameOf,
  stateRoot,
} from './naming.js';
export type { ClusterInstances, GroupStatus, Host } from './provision/cluster-instances.js';
export type { AssignEipsResult, PoolAddress } from './provision/eip.js';
export type { DeletionProof } from './provision/proof.js';
export type { ChangeSummary } from './provision/stack-update.js';
export {
  buildTemplate,
  type CloudFormationTemplate,
  renderTemplate,
  renderTemplateBody,
  type TemplateContext,
  type TemplateFormat,
} from './provision/template/index.js';
export type { ClusterSettings } from './provision/template/settings.js';
export * from './upgrade/index.js';
