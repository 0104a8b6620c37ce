/** The typed Kubernetes REST client shared by the agent and the controllers. */

export type * from '../kube/index.js';
export * from './api-error.js';
export * from './client.js';
export * from './list-watch.js';
export * from './paths.js';
export * from './transport.js';
export * from './types.js';
