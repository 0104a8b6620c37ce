/** tugboat's library API. The CLI imports only this (and lazily). */
export {
  API_VERSION,
  type ApiSpec,
  buildClusterSpecJsonSchema,
  type CheckResult,
  type ClusterSpec,
  type ClusterSpecInput,
  checkClusterSpec,
  type ExistingVpcNetwork,
  KIND,
  loadClusterSpec,
  type NetworkSpec,
  type NewVpcNetwork,
  parseClusterSpec,
  stackName,
  type WorkerGroupSpec,
} from './config/index.js';
