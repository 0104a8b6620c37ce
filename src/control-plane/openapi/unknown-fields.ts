import { builtinDefinition, builtinDefinitionName, type Schema } from './builtin-definitions.js';

/** A field of an object that its kind's schema does not declare, and how to take it out. */
export interface SchemaUnknownField {
  /** As kube-apiserver's strict decoding names it: `spec.foo`, `spec.template.spec.containers[0].bar`. */
  readonly path: string;
  readonly drop: () => void;
}

/** Deeper than any built-in kind nests; bodies are already capped at 100 levels of JSON. */
const MAX_DEPTH = 40;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The schema a `$ref` (or kube-openapi's `allOf: [{$ref}]`) points at, or the schema itself. */
function resolve(schema: Schema): Schema | undefined {
  const allOf = schema.allOf;
  const ref =
    typeof schema.$ref === 'string'
      ? schema.$ref
      : Array.isArray(allOf) && allOf.length === 1 && isRecord(allOf[0]) && typeof allOf[0].$ref === 'string'
        ? allOf[0].$ref
        : undefined;
  return ref === undefined ? schema : builtinDefinition(ref.slice(ref.lastIndexOf('/') + 1));
}

function walk(
  value: unknown,
  schema: Schema | undefined,
  path: string,
  depth: number,
  out: SchemaUnknownField[],
): void {
  const s = schema && resolve(schema);
  if (!s || depth > MAX_DEPTH || s['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (Array.isArray(value)) {
    if (!isRecord(s.items)) return;
    for (const [i, item] of value.entries()) walk(item, s.items, `${path}[${i}]`, depth + 1, out);
    return;
  }
  if (!isRecord(value)) return;
  if (isRecord(s.properties)) {
    const properties = s.properties;
    for (const [key, child] of Object.entries(value)) {
      const field = isRecord(properties[key]) ? (properties[key] as Schema) : undefined;
      if (field) walk(child, field, `${path}.${key}`, depth + 1, out);
      else out.push({ path: `${path}.${key}`, drop: () => delete value[key] });
    }
  } else if (isRecord(s.additionalProperties)) {
    for (const [key, child] of Object.entries(value))
      walk(child, s.additionalProperties as Schema, `${path}.${key}`, depth + 1, out);
  }
  // An object schema with neither (FieldsV1, RawExtension's kin) is free-form, as upstream.
}

/**
 * Fields of a built-in object below its top level that upstream's schema for the kind does not
 * declare (top-level fields, `metadata` and the controller-owned `status` are checked elsewhere).
 * Undefined when no schema ships for the kind (metrics), so the caller falls back to its own checks.
 */
export function schemaUnknownFields(
  group: string,
  version: string,
  kind: string,
  obj: Record<string, unknown>,
): SchemaUnknownField[] | undefined {
  const name = builtinDefinitionName(group, version, kind);
  const schema = name && builtinDefinition(name);
  if (!schema || !isRecord(schema.properties)) return undefined;
  const out: SchemaUnknownField[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const field = schema.properties[key];
    if (key !== 'metadata' && key !== 'status' && isRecord(field)) walk(value, field, key, 1, out);
  }
  return out;
}
