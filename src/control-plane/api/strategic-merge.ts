import { isRecord } from '../registry/validation.js';
import { ApiError } from './status.js';

/**
 * Merge keys of the built-in kinds' lists (from the `patchMergeKey` tags of k8s.io/api). Field
 * names are unique enough across the served kinds that the name alone picks the key; `ports`
 * is decided by the items (container ports have `containerPort`, service ports `port`).
 */
const MERGE_KEYS: Record<string, string | ((items: unknown[]) => string)> = {
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
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, original: unknown[], patch: unknown[]): string | undefined {
  const k = MERGE_KEYS[field];
  if (typeof k === 'function') return k([...original, ...patch]);
  return k;
}

function fail(message: string): never {
  throw new ApiError(422, 'Invalid', `strategic merge patch cannot be applied: ${message}`);
}

/** Applies a strategic merge patch to `original` (neither is modified). */
export function strategicMerge(original: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, unknown> = isRecord(original) ? { ...original } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (!Array.isArray(value)) fail(`${key} must be a list`);
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const current = out[key];
    if (Array.isArray(value)) {
      out[key] = mergeList(key, Array.isArray(current) ? current : [], value);
    } else if (isRecord(value)) {
      const merged = strategicMerge(current, value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = value;
    }
  }
  if (isRecord(patch.$retainKeys) || Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    for (const k of Object.keys(out)) if (!keep.has(k) && !(k in patch)) delete out[k];
  }
  return out;
}

function mergeList(field: string, original: unknown[], patch: unknown[]): unknown[] {
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const out = [...original];
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  const key = mergeKeyFor(field, original, patch);
  if (!key) return patch.map(stripDirectives);
  if (patch.some((p) => isRecord(p) && p.$patch === 'replace' && Object.keys(p).length === 1)) {
    return patch.filter((p) => !(isRecord(p) && p.$patch === 'replace')).map(stripDirectives);
  }
  const out = [...original];
  for (const item of patch) {
    if (!isRecord(item))
      fail(`list ${field} is merged by "${key}" but an item is not an object: ${JSON.stringify(item)}`);
    const id = item[key];
    if (id === undefined)
      fail(`an item of ${field} has no merge key "${key}": ${JSON.stringify(item).slice(0, 100)}`);
    const idx = out.findIndex((o) => isRecord(o) && o[key] === id);
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(original: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(original) ? { ...original } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
