/** `tugboat upgrade`: plan a roll from the versions hosts report, then reinstall them in order. */
export * from './cluster-versions.js';
export * from './etcd-check.js';
export * from './master-health.js';
export * from './plan.js';
export * from './roll.js';
export * from './versions.js';
