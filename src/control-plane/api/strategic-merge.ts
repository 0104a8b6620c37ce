import { isRecord } from '../registry/validation.js';
import { MERGE_KEYS, MERGED_PRIMITIVE_LISTS } from './apply/merge-keys.js';
import { ApiError } from './status.js';

function mergeKeyFor(field: string, original: unknown[], patch: unknown[]): string | undefined {
  // Own keys only: a list named `constructor` or `toString` has no merge key.
  const k = Object.hasOwn(MERGE_KEYS, field) ? MERGE_KEYS[field] : undefined;
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
      const drop = new Set(value);
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((v) => !drop.has(v));
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

/** Marks list items a `$patch: delete` removed; they are filtered out once at the end. */
const DELETED = Symbol('deleted');

/**
 * Merges a list by its merge key with a Map index: a 3 MiB patch of 100,000 items must cost
 * linear time, not the quadratic scan a findIndex per item would (issue #19, finding 4).
 */
function mergeList(field: string, original: unknown[], patch: unknown[]): unknown[] {
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    const out = [...original];
    const seen = new Set(out);
    for (const v of patch) {
      if (seen.has(v)) continue;
      seen.add(v);
      out.push(v);
    }
    return out;
  }
  const key = mergeKeyFor(field, original, patch);
  if (!key) return patch.map(stripDirectives);
  if (patch.some((p) => isRecord(p) && p.$patch === 'replace' && Object.keys(p).length === 1)) {
    return patch.filter((p) => !(isRecord(p) && p.$patch === 'replace')).map(stripDirectives);
  }
  const out: unknown[] = [...original];
  // Positions of the live items with each key value, first first (duplicates are possible).
  const index = new Map<unknown, number[]>();
  out.forEach((o, i) => {
    if (!isRecord(o)) return;
    const at = index.get(o[key]);
    if (at) at.push(i);
    else index.set(o[key], [i]);
  });
  for (const item of patch) {
    if (!isRecord(item))
      fail(`list ${field} is merged by "${key}" but an item is not an object: ${JSON.stringify(item)}`);
    const id = item[key];
    if (id === undefined)
      fail(`an item of ${field} has no merge key "${key}": ${JSON.stringify(item).slice(0, 100)}`);
    const at = index.get(id);
    if (item.$patch === 'delete') {
      const gone = at?.shift();
      if (gone !== undefined) out[gone] = DELETED;
      continue;
    }
    if (at?.length) out[at[0]!] = strategicMerge(out[at[0]!], item);
    else {
      out.push(stripDirectives(item));
      if (at) at.push(out.length - 1);
      else index.set(id, [out.length - 1]);
    }
  }
  return out.filter((o) => o !== DELETED);
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
