import { isObject, type JsonSchema, MAX_VALUE_DEPTH } from './schema-types.js';

/** Fields every object keeps at its root (and an embedded resource at its own). */
const TYPE_META = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * Drops fields the structural schema does not declare, in place, as upstream's pruning: unknown
 * properties go unless `x-kubernetes-preserve-unknown-fields`; `additionalProperties` keeps every
 * key and prunes inside it; apiVersion, kind and metadata survive at the root and in embedded
 * resources. Returns the paths it dropped (for `fieldValidation` warnings).
 */
export function prune(schema: JsonSchema, value: unknown, root = true): string[] {
  const dropped: string[] = [];
  walk(schema, value, root, '', dropped, 0);
  return dropped;
}

function walk(
  schema: JsonSchema,
  value: unknown,
  keepMeta: boolean,
  path: string,
  dropped: string[],
  depth: number,
): void {
  if (depth > MAX_VALUE_DEPTH) return;
  if (Array.isArray(value)) {
    if (schema.items)
      for (const [i, v] of value.entries()) walk(schema.items, v, false, `${path}[${i}]`, dropped, depth + 1);
    return;
  }
  if (!isObject(value)) return;
  const embedded = keepMeta || schema['x-kubernetes-embedded-resource'] === true;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
  const anyKey = schema.additionalProperties === true;
  for (const key of Object.keys(value)) {
    // Type and object metadata are the API server's to check, whatever the schema says of them
    // (controller-gen writes `metadata: {type: object}`, which must not prune the name away).
    if (embedded && TYPE_META.has(key)) continue;
    const sub = schema.properties?.[key] ?? extra;
    if (sub) walk(sub, value[key], false, `${path}.${key}`, dropped, depth + 1);
    else if (!preserve && !anyKey) {
      delete value[key];
      dropped.push(`${path}.${key}`);
    }
  }
}

/**
 * Applies `default`s in place, as upstream's structural defaulting: a missing property with a
 * default gets a copy of it; a null property that is not nullable is dropped (and then defaulted),
 * as PruneNonNullableNullsWithoutDefaults and the defaulter do together. Defaults inside defaults apply too, because the walk continues into what it set.
 */
export function applyDefaults(schema: JsonSchema, value: unknown, depth = 0): void {
  if (depth > MAX_VALUE_DEPTH) return;
  if (Array.isArray(value)) {
    if (schema.items) for (const v of value) applyDefaults(schema.items, v, depth + 1);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (value[key] === null && !sub.nullable) delete value[key];
    if (value[key] === undefined && sub.default !== undefined) value[key] = structuredClone(sub.default);
    if (value[key] !== undefined) applyDefaults(sub, value[key], depth + 1);
  }
  if (isObject(schema.additionalProperties)) {
    const extra = schema.additionalProperties;
    for (const [key, v] of Object.entries(value))
      if (!schema.properties?.[key]) applyDefaults(extra, v, depth + 1);
  }
}
