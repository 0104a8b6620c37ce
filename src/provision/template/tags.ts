import type { ClusterSpec } from '../../config/types.js';
import { TAG_KEYS } from './names.js';
import type { CfnTag } from './types.js';

/** Who a resource belongs to inside the cluster. */
export interface TagScope {
  /** `tugboat:role`: cluster (shared network), master, worker or eip. */
  readonly role: 'cluster' | 'master' | 'worker' | 'eip';
  /** `tugboat:group`: the worker group for worker resources; `master-N` for each group of several masters. */
  readonly group?: string;
  /** `Name` tag shown in the console; the cluster name is prefixed. */
  readonly name: string;
  /** Extra tugboat tags (e.g. `tugboat:pool`). */
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * The tags of a taggable resource: Name, `tugboat:cluster`, `tugboat:role`, `tugboat:group`, then
 * the spec's own tags sorted by key (so the output is deterministic).
 */
export function buildTags(spec: ClusterSpec, scope: TagScope): CfnTag[] {
  const tags: CfnTag[] = [
    { Key: 'Name', Value: `${spec.name}-${scope.name}` },
    { Key: TAG_KEYS.cluster, Value: spec.name },
    { Key: TAG_KEYS.role, Value: scope.role },
  ];
  if (scope.group !== undefined) tags.push({ Key: TAG_KEYS.group, Value: scope.group });
  for (const [Key, Value] of Object.entries(scope.extra ?? {})) tags.push({ Key, Value });
  for (const key of Object.keys(spec.tags).sort()) tags.push({ Key: key, Value: spec.tags[key]! });
  return tags;
}

/** Auto-scaling group tags: the same tags, propagated to the instances the group launches. */
export function buildAsgTags(spec: ClusterSpec, scope: TagScope) {
  return buildTags(spec, scope).map((t) => ({ ...t, PropagateAtLaunch: true }));
}
