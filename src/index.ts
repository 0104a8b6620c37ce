/**
 * tugboat's library API. The CLI imports only this module (lazily, inside command actions).
 */

// AWS lifecycle: create, inspect, change and delete clusters.
export { type AwsClients, type AwsClientsOptions, createAwsClients } from './aws/clients.js';
export {
  type BootstrapContext,
  type CreateClusterOptions,
  type CreateClusterResult,
  createCluster,
} from './cluster/create.js';
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
export {
  type ClusterStatus,
  type ClusterStatusOptions,
  type ClusterSummary,
  clusterStatus,
  listClusters,
} from './cluster/status.js';
export { type ClusterDefinition, type LifecycleOptions, stackNameOf } from './cluster/types.js';
export { type UpdateClusterOptions, type UpdateClusterResult, updateCluster } from './cluster/update.js';
export * from './errors.js';
export * from './events.js';
export type { AssignEipsResult, PoolAddress } from './provision/eip.js';
export type { GroupStatus, Host, Inventory } from './provision/inventory.js';
export { buildSshKeyPair, clusterStateDir } from './provision/keypair.js';
export type { DeletionProof } from './provision/proof.js';
export type { ChangeSummary } from './provision/stack.js';
