/** tugboat's library API. The CLI imports only this (and lazily). */

export * from './bootstrap/index.js';
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
  type NetworkSpec,
  type NewVpcNetwork,
  parseClusterSpec,
  renderExampleSpec,
  type WorkerGroupSpec,
} from './config/index.js';
export {
  type ApiServer,
  type ApiServerOptions,
  buildApiServer,
  type ServingTls,
} from './control-plane/api/server.js';
export {
  type ControlLoops,
  type StartControllersOptions,
  startControllers,
} from './control-plane/controllers/start.js';
export type { ControllerApi } from './control-plane/machinery/api.js';
export { clientControllerApi } from './control-plane/machinery/client-api.js';
export {
  type ControlPlaneOptions,
  type RunningControlPlane,
  startControlPlane,
} from './control-plane/main.js';
export * from './pki/index.js';
export {
  AGENT_PORT,
  API_PORT,
  buildTemplate,
  type CloudFormationTemplate,
  EIP_POOLS,
  IDS as TEMPLATE_IDS,
  OUTPUTS as TEMPLATE_OUTPUTS,
  PARAMETERS as TEMPLATE_PARAMETERS,
  REQUIRED_CAPABILITIES,
  renderTemplate,
  renderTemplateBody,
  TAG_KEYS,
  TEMPLATE_BODY_LIMIT,
  type TemplateContext,
  type TemplateFormat,
  type TemplateParameterOptions,
  templateParameters,
  workerAsgOutputKey,
} from './provision/template/index.js';

// AWS lifecycle: create, inspect, change and delete clusters.

export { type Agent, type AgentOptions, buildAgent } from './agent/agent.js';
export {
  type AgentConfig,
  loadAgentConfig,
  parseAgentConfig,
  parseLabels,
  parseTaint,
} from './agent/config.js';
export { type RunningAgent, startAgentProcess } from './agent/main.js';
export { DockerRuntime, type DockerRuntimeOptions } from './agent/runtime/docker-runtime.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './agent/runtime/process-runtime.js';
export type { ContainerLaunch, Runtime, RuntimeContainer } from './agent/runtime/types.js';
export { type AgentServer, type AgentServerOptions, buildAgentServer } from './agent/server/agent-server.js';
export { type AwsClients, type AwsClientsOptions, createAwsClients } from './aws/clients.js';
export * as kube from './client/index.js';
// Working on a running cluster by name (bootstrap, ssh, uninstall NAME) and the shared post-stack steps.
export {
  type ClusterAccess,
  type ClusterAccessOptions,
  readClusterAccess,
  selectClusterHost,
} from './cluster/access.js';
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
export { type ScaleGroupOptions, type ScaleGroupResult, scaleGroup } from './cluster/scale.js';
export { localKeyPair, type SettleClusterOptions, settleCluster } from './cluster/settle.js';
export {
  type ClusterStatus,
  type ClusterStatusOptions,
  type ClusterSummary,
  clusterStatus,
  listClusters,
} from './cluster/status.js';
export type { ClusterDefinition, LifecycleOptions } from './cluster/types.js';
export { type UpdateClusterOptions, type UpdateClusterResult, updateCluster } from './cluster/update.js';
// Control-plane store: the embedded store or etcd behind one revisioned key-value interface.
export {
  createStore,
  type EmbeddedStoreOptions,
  type EtcdStoreOptions,
  type EtcdTlsOptions,
  type Store,
  type StoreConfig,
  StoreError,
} from './control-plane/store/index.js';
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
export type { AssignEipsResult, PoolAddress } from './provision/eip.js';
export type { GroupStatus, Host, Inventory } from './provision/inventory.js';
export { buildSshKeyPair } from './provision/keypair.js';
export type { DeletionProof } from './provision/proof.js';
export type { ChangeSummary } from './provision/stack-update.js';
export {
  buildClusterSettings,
  type ClusterSettings,
  parseClusterSettings,
  renderClusterSettings,
} from './provision/template/settings.js';
export {
  type StoredTemplate,
  s3TemplateStore,
  TEMPLATE_URL_LIMIT,
  type TemplateStore,
  templateBucketName,
} from './provision/template-store.js';
export * from './ssh/index.js';
