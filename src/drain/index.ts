/** Cordon, drain through the Eviction API and uncordon: what `tugboat drain` and `tugboat upgrade` use. */
export * from './cordon.js';
export * from './drain.js';
export * from './pod-filters.js';
