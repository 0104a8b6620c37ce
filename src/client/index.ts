/** The typed Kubernetes REST client shared by the agent and the controllers. */
export * from './api-error.js';
export * from './client.js';
export type * from './core-types.js';
export * from './list-watch.js';
export * from './paths.js';
export * from './transport.js';
export * from './types.js';
