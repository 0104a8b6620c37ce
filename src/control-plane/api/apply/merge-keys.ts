import { isRecord } from '../../registry/validation.js';

/**
 * Merge keys of the built-in kinds' lists (from the `patchMergeKey` tags of k8s.io/api). Field
 * names are unique enough across the served kinds that the name alone picks the key; `ports`
 * is decided by the items (container ports have `containerPort`, service ports `port`).
 */
export const MERGE_KEYS: Record<string, string | ((items: unknown[]) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  addresses: 'type',
  taints: 'key',
  readinessGates: 'conditionType',
  resourceClaims: 'name',
  ports: (items) => (items.some((i) => isRecord(i) && 'containerPort' in i) ? 'containerPort' : 'port'),
};

/** Lists of primitives merged as sets (`patchStrategy:"merge"` on a []string). */
export const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);
