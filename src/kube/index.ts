/** Kubernetes object shapes: the one definition the client, agent, API server and controllers share. */
export type * from './autoscaling.js';
export type * from './core.js';
export type * from './discovery.js';
export type * from './meta.js';
export type * from './node.js';
export type * from './pod.js';
export type * from './policy.js';
export type * from './stats.js';
export type * from './storage.js';
export type * from './workloads.js';
