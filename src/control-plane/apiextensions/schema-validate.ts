import type { StatusCause } from '../../kube/index.js';
import { checkFormat } from './schema-formats.js';
import { type CompiledPatterns, matchesPattern } from './schema-patterns.js';
import { isObject, type JsonSchema, MAX_VALUE_DEPTH, typeName } from './schema-types.js';

/** Most causes reported for one object: a huge invalid list answers with the first ones. */
const MAX_CAUSES = 100;

/**
 * Most schema-node visits in one validation. A tree schema visits each value node once per schema
 * node that applies to it, which combinators (allOf/anyOf/oneOf) multiply: the budget keeps a
 * hostile schema and object from holding the event loop (about a second at worst).
 */
export const MAX_VALIDATION_STEPS = 2_000_000;

interface Walk {
  readonly patterns: CompiledPatterns;
  readonly causes: StatusCause[];
  readonly budget: { steps: number };
}

function push(w: Walk, cause: StatusCause): void {
  if (w.causes.length < MAX_CAUSES) w.causes.push(cause);
}

function invalidValue(w: Walk, field: string, value: unknown, detail: string): void {
  push(w, { reason: 'FieldValueInvalid', field, message: `Invalid value: ${show(value)}: ${detail}` });
}

/** A value as kube's field errors print it: strings quoted, numbers bare, the rest as JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  const text = JSON.stringify(value);
  return text.length > 200 ? `${JSON.stringify(`${text.slice(0, 190)}...`)}` : JSON.stringify(text);
}

function typeMatches(schema: JsonSchema, value: unknown): boolean {
  const t = typeName(value);
  if (schema['x-kubernetes-int-or-string']) return t === 'integer' || t === 'string';
  switch (schema.type) {
    case undefined:
      return true;
    case 'number':
      return t === 'number' || t === 'integer';
    default:
      return t === schema.type;
  }
}

/**
 * Validates `value` against `schema` as the apiextensions-apiserver does (kube-openapi's validator
 * plus the Kubernetes extensions) and appends field errors with upstream's messages to `causes`.
 * Unknown fields must already be pruned. Recursion is bounded by MAX_VALUE_DEPTH.
 */
export function validateValue(
  schema: JsonSchema,
  value: unknown,
  field: string,
  patterns: CompiledPatterns,
  causes: StatusCause[],
): void {
  walk(schema, value, field, { patterns, causes, budget: { steps: 0 } }, 0);
}

function walk(schema: JsonSchema, value: unknown, field: string, w: Walk, depth: number): void {
  if (++w.budget.steps > MAX_VALIDATION_STEPS) {
    if (w.budget.steps === MAX_VALIDATION_STEPS + 1)
      w.causes.push({
        reason: 'FieldValueForbidden',
        field,
        message: `Forbidden: validating the object against its schema took more than ${MAX_VALIDATION_STEPS} steps: simplify the object or the schema`,
      });
    return;
  }
  if (depth > MAX_VALUE_DEPTH) {
    invalidValue(w, field, '', `nesting is deeper than ${MAX_VALUE_DEPTH} levels`);
    return;
  }
  if (value === null && schema.nullable) return;
  if (!typeMatches(schema, value)) {
    const want = schema['x-kubernetes-int-or-string'] ? 'integer,string' : String(schema.type);
    const got = typeName(value);
    push(w, {
      reason: 'FieldValueTypeInvalid',
      field,
      message: `Invalid value: "${got}": ${field} in body must be of type ${want}: "${got}"`,
    });
    return;
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    push(w, {
      reason: 'FieldValueNotSupported',
      field,
      message: `Unsupported value: ${show(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    });
  }
  if (typeof value === 'string') checkString(schema, value, field, w);
  else if (typeof value === 'number') checkNumber(schema, value, field, w);
  else if (Array.isArray(value)) checkArray(schema, value, field, w, depth);
  else if (isObject(value)) checkObject(schema, value, field, w, depth);
  checkCombinators(schema, value, field, w, depth);
}

function checkString(schema: JsonSchema, value: string, field: string, w: Walk): void {
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength)
    push(w, {
      reason: 'FieldValueTooLong',
      field,
      message: `Too long: may not be more than ${schema.maxLength} bytes`,
    });
  if (schema.minLength !== undefined && length < schema.minLength)
    invalidValue(w, field, value, `${field} in body should be at least ${schema.minLength} chars long`);
  if (schema.pattern !== undefined && !matchesPattern(w.patterns, schema.pattern, value))
    invalidValue(w, field, value, `${field} in body should match '${schema.pattern}'`);
  const formatError = schema.format ? checkFormat(schema.format, value) : undefined;
  if (formatError)
    push(w, {
      reason: 'FieldValueTypeInvalid',
      field,
      message: `Invalid value: ${show(value)}: ${field} in body must be of type ${schema.format}: ${JSON.stringify(value)}`,
    });
}

function checkNumber(schema: JsonSchema, value: number, field: string, w: Walk): void {
  const { maximum, minimum } = schema;
  if (maximum !== undefined && (schema.exclusiveMaximum ? value >= maximum : value > maximum))
    invalidValue(
      w,
      field,
      value,
      `${field} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${maximum}`,
    );
  if (minimum !== undefined && (schema.exclusiveMinimum ? value <= minimum : value < minimum))
    invalidValue(
      w,
      field,
      value,
      `${field} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${minimum}`,
    );
  if (schema.multipleOf !== undefined && schema.multipleOf > 0) {
    const q = value / schema.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9)
      invalidValue(w, field, value, `${field} in body should be a multiple of ${schema.multipleOf}`);
  }
  if (schema.format === 'int32' && (value < -2147483648 || value > 2147483647))
    invalidValue(w, field, value, `${field} in body must be of type int32: "${value}"`);
  if (schema.format === 'int64' && !Number.isSafeInteger(value))
    invalidValue(w, field, value, `${field} in body must be of type int64: "${value}"`);
}

function keyOf(item: unknown, keys: readonly string[]): string {
  const parts = keys.map((k) => `${JSON.stringify(k)}:${isObject(item) ? show(item[k]) : 'null'}`);
  return `map[string]interface {}{${parts.join(', ')}}`;
}

function checkArray(schema: JsonSchema, value: unknown[], field: string, w: Walk, depth: number): void {
  if (schema.maxItems !== undefined && value.length > schema.maxItems)
    push(w, {
      reason: 'FieldValueTooMany',
      field,
      message: `Too many: ${value.length}: must have at most ${schema.maxItems} items`,
    });
  if (schema.minItems !== undefined && value.length < schema.minItems)
    invalidValue(w, field, value, `${field} in body should have at least ${schema.minItems} items`);
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set' || schema.uniqueItems) {
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const k = JSON.stringify(item);
      if (seen.has(k))
        push(w, {
          reason: 'FieldValueDuplicate',
          field: `${field}[${i}]`,
          message: `Duplicate value: ${show(item)}`,
        });
      seen.add(k);
    });
  } else if (listType === 'map') {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const k = keyOf(item, keys);
      if (seen.has(k))
        push(w, { reason: 'FieldValueDuplicate', field: `${field}[${i}]`, message: `Duplicate value: ${k}` });
      seen.add(k);
    });
  }
  if (schema.items)
    for (const [i, item] of value.entries()) walk(schema.items, item, `${field}[${i}]`, w, depth + 1);
}

function checkObject(
  schema: JsonSchema,
  value: Record<string, unknown>,
  field: string,
  w: Walk,
  depth: number,
): void {
  const n = Object.keys(value).length;
  if (schema.maxProperties !== undefined && n > schema.maxProperties)
    push(w, {
      reason: 'FieldValueTooMany',
      field,
      message: `Too many: ${n}: must have at most ${schema.maxProperties} items`,
    });
  if (schema.minProperties !== undefined && n < schema.minProperties)
    invalidValue(w, field, n, `${field} in body should have at least ${schema.minProperties} properties`);
  for (const name of schema.required ?? [])
    if (value[name] === undefined)
      push(w, { reason: 'FieldValueRequired', field: join(field, name), message: 'Required value' });
  if (schema['x-kubernetes-embedded-resource']) {
    for (const name of ['apiVersion', 'kind'])
      if (typeof value[name] !== 'string' || !value[name])
        push(w, {
          reason: 'FieldValueRequired',
          field: join(field, name),
          message: 'Required value: must not be empty',
        });
  }
  const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
  for (const [name, v] of Object.entries(value)) {
    const sub = schema.properties?.[name] ?? extra;
    if (sub) walk(sub, v, join(field, name), w, depth + 1);
  }
}

function checkCombinators(schema: JsonSchema, value: unknown, field: string, w: Walk, depth: number): void {
  const passes = (s: JsonSchema) => {
    const sub: Walk = { patterns: w.patterns, causes: [], budget: w.budget };
    walk(s, value, field, sub, depth + 1);
    return sub.causes.length === 0;
  };
  for (const s of schema.allOf ?? []) walk(s, value, field, w, depth + 1);
  if (schema.anyOf && !schema.anyOf.some(passes))
    invalidValue(w, field, value, `"${field}" must validate at least one schema (anyOf)`);
  if (schema.oneOf && schema.oneOf.filter(passes).length !== 1)
    invalidValue(w, field, value, `"${field}" must validate one and only one schema (oneOf)`);
  if (schema.not && passes(schema.not))
    invalidValue(w, field, value, `"${field}" must not validate the schema (not)`);
}

/** `a.b` for a child field, `b` at the root. */
export function join(field: string, name: string): string {
  return field ? `${field}.${name}` : name;
}
