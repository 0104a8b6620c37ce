export {
  AGENT_SERVICE,
  type AgentInstallOptions,
  agentPaths,
  buildAgentFiles,
  buildAgentService,
  installAgent,
} from './agent-install.js';
export {
  type BootstrapHost,
  type BootstrapHosts,
  mastersOf,
  parseBootstrapHosts,
} from './bootstrap-hosts.js';
export {
  type BootstrapInventoryOptions,
  type BootstrapInventoryResult,
  bootstrapInventory,
  type HostAction,
  type HostBootstrapResult,
  uninstallInventory,
} from './bootstrap-inventory.js';
export {
  type BootstrapContext,
  bootstrapCluster,
  type ClusterBootstrapContext,
  type ClusterBootstrapOptions,
  type ClusterBootstrapResult,
} from './cluster-bootstrap.js';
export { type ClusterHealth, type ClusterHealthOptions, readClusterHealth } from './cluster-health.js';
export { bootstrapHostsFromCluster, type ClusterHostsOptions } from './cluster-hosts.js';
export {
  buildControlPlaneFiles,
  buildControlPlaneService,
  CONTROL_PLANE_SERVICE,
  type ControlPlaneEtcd,
  type ControlPlaneInstallOptions,
  controlPlanePaths,
  type HostBundle,
  installControlPlane,
} from './control-plane-install.js';
export {
  buildEtcdFiles,
  buildEtcdService,
  DEFAULT_ETCD_PATH,
  DEFAULT_ETCD_PORTS,
  ETCD_SERVICE,
  type EtcdInstallOptions,
  type EtcdMember,
  etcdClientUrls,
  etcdPaths,
  installEtcd,
  renderInitialCluster,
} from './etcd-install.js';
export { loadHostBundle } from './host-bundle.js';
export {
  bundleFileName,
  bundleHostFile,
  type HostFile,
  type SyncHostFilesOptions,
  type SyncResult,
  syncHostFiles,
} from './host-files.js';
export type { HostInstallResult, HostServiceOptions } from './host-install.js';
export { installHostService } from './host-install.js';
export {
  ensureHostPrerequisites,
  type HostPrerequisitesOptions,
  type HostPrerequisitesResult,
} from './host-prerequisites.js';
export { type HostRuntimeOptions, hostRuntimeInstaller, type NodeRuntimeMode } from './host-runtime.js';
export {
  buildInstallPlan,
  choosePackageManager,
  type InstallPlan,
  type InstallStep,
  nodePackageCommand,
  nodeTooOldHint,
  type PackageManager,
  type PackageNeeds,
} from './install-packages.js';
export { type InventoryAccessOptions, onHost, openHostShell } from './inventory-access.js';
export {
  buildHostLayout,
  DEFAULT_HOST_LAYOUT,
  type HostLayout,
  type HostLayoutOptions,
  layoutDirectories,
} from './layout.js';
export {
  NODE_RUNTIME,
  type NodeRuntime,
  type RuntimeArch,
  type RuntimePin,
  runtimeArch,
  runtimePaths,
} from './node-runtime.js';
export {
  checkPreflight,
  nodeMajor,
  type PreflightFacts,
  type PreflightReport,
  type PreflightRequirements,
  parsePreflightOutput,
  type RunPreflightOptions,
  renderPreflightScript,
  runPreflight,
} from './preflight.js';
export { type HostOutcome, type RunOnHostsOptions, runMasterThenWorkers, runOnHosts } from './run-hosts.js';
export {
  integrityOf,
  type LoadNodeRuntimeOptions,
  loadNodeRuntime,
  npmPack,
  runtimeCacheDir,
} from './runtime-cache.js';
export { type EnsureNodeRuntimeOptions, ensureNodeRuntime } from './runtime-install.js';
export {
  detectServiceMode,
  ensureHostLayout,
  type InstallResult,
  type InstallServiceOptions,
  installService,
  removeService,
  restartService,
  type ServiceMode,
  type ServiceOptions,
  type ServiceStatus,
  serviceStatus,
  stopService,
} from './service.js';
export {
  renderSupervisorScript,
  renderSystemdUnit,
  type ServiceSpec,
  servicePaths,
  validateServiceSpec,
} from './service-units.js';
export { type UninstallOptions, type UninstallResult, uninstallHost } from './uninstall.js';
export { type WaitHealthyOptions, waitForHealthy } from './wait-healthy.js';
export { type WaitNodeReadyOptions, waitForNodeReady } from './wait-node-ready.js';
