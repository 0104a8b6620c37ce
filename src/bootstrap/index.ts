export {
  bundleFileName,
  bundleHostFile,
  type HostFile,
  type SyncResult,
  syncHostFiles,
} from './host-files.js';
export {
  buildHostLayout,
  DEFAULT_HOST_LAYOUT,
  type HostLayout,
  type HostLayoutOptions,
  layoutDirectories,
} from './layout.js';
export {
  checkPreflight,
  type PreflightFacts,
  type PreflightReport,
  type PreflightRequirements,
  parsePreflightOutput,
  type RunPreflightOptions,
  renderPreflightScript,
  runPreflight,
} from './preflight.js';
export {
  detectServiceMode,
  ensureHostLayout,
  type InstallResult,
  installService,
  removeService,
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
