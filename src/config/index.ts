/** Cluster spec: schema, loading, defaults and validation. */

export { adviseClusterSpec } from './advice.js';
export { type ExampleSpecOptions, renderExampleSpec, SCHEMA_FILE_NAME } from './example.js';
export { buildClusterSpecJsonSchema } from './json-schema.js';
export {
  type CheckResult,
  checkClusterSpec,
  loadClusterSpec,
  parseClusterSpec,
  readSpecFile,
} from './load.js';
export { failuresTolerated, MASTER_COUNTS, masterZones, quorumOf } from './masters.js';
export { KNOWN_REGIONS, zoneBelongsToRegion } from './regions.js';
export { DEFAULT_VPC_CIDR, deriveSubnetCidr, resolveClusterSpec } from './resolve.js';
export {
  API_VERSION,
  type ClusterSpecDocument,
  type ClusterSpecInput,
  clusterSpecSchema,
  KIND,
} from './schema.js';
export type {
  ApiSpec,
  ClusterSpec,
  ExistingSubnet,
  ExistingVpcNetwork,
  MasterSpec,
  NetworkSpec,
  NewSubnet,
  NewVpcNetwork,
  WorkerGroupSpec,
} from './types.js';
export { pascalCase, validateClusterSpec } from './validate.js';
