/** tugboat's library API. The CLI imports only this (and lazily). */
export {
  API_VERSION,
  type ApiSpec,
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
  stackName,
  type WorkerGroupSpec,
} from './config/index.js';
export type { ControllerApi } from './control-plane/controllers/api.js';
export { clientControllerApi } from './control-plane/controllers/client-api.js';
export {
  type ControlLoops,
  type StartControllersOptions,
  startControllers,
} from './control-plane/controllers/start.js';
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
  TAG_KEYS,
  type TemplateContext,
  type TemplateFormat,
  type TemplateParameterOptions,
  templateParameters,
  workerAsgOutputKey,
} from './provision/template/index.js';
