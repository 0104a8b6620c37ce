/** Resource tags as a plain map (AWS's `[{Key, Value}]` lists are converted at the edge). */
export type Tags = Readonly<Record<string, string>>;

/** A describe filter, e.g. `{ name: 'tag:tugboat:cluster', values: ['demo'] }`. */
export interface Filter {
  readonly name: string;
  readonly values: readonly string[];
}

/** The tag every tugboat resource carries; its value is the cluster name. */
export const CLUSTER_TAG = 'tugboat:cluster';
/** The role tag (`master` or `worker`). */
export const ROLE_TAG = 'tugboat:role';
/** The worker group tag. */
export const GROUP_TAG = 'tugboat:group';
/** `true` on the auto-scaling group of a group whose spec says `eip: true`. */
export const EIP_TAG = 'tugboat:eip';
/** The EIP pool tag (value: the group the address is meant for, or `any`). */
export const POOL_TAG = 'tugboat:pool';

/** A filter matching resources tagged with `key=value`. */
export function tagFilter(key: string, value: string): Filter {
  return { name: `tag:${key}`, values: [value] };
}

/** A filter matching resources of `cluster`. */
export function clusterFilter(cluster: string): Filter {
  return tagFilter(CLUSTER_TAG, cluster);
}

/** Converts an AWS tag list to a map, ignoring entries without a key. */
export function tagsFromList(list: readonly { Key?: string; Value?: string }[] | undefined): Tags {
  const out: Record<string, string> = {};
  for (const t of list ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

/** Converts a tag map to AWS's list form. */
export function tagsToList(tags: Tags): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Upper bound on pages read from any paginated AWS call (so a broken endpoint cannot loop forever). */
export const MAX_PAGES = 100;
