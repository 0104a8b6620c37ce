import type { StatusCause } from '../../kube/index.js';
import { compilePattern } from './schema-patterns.js';
import {
  isObject,
  type JsonSchema,
  MAX_PATTERN_LENGTH,
  MAX_SCHEMA_DEPTH,
  MAX_SCHEMA_NODES,
} from './schema-types.js';
import { show } from './schema-validate.js';

const TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const LIST_TYPES = ['atomic', 'set', 'map'];
const COMBINATORS = ['allOf', 'anyOf', 'oneOf'] as const;

interface Check {
  readonly causes: StatusCause[];
  nodes: number;
}

function invalid(c: Check, field: string, value: unknown, detail: string): void {
  c.causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${show(value)}: ${detail}` });
}

function forbidden(c: Check, field: string, detail: string): void {
  c.causes.push({ reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` });
}

function required(c: Check, field: string, detail: string): void {
  c.causes.push({ reason: 'FieldValueRequired', field, message: `Required value: ${detail}` });
}

/**
 * Checks that `schema` (a version's openAPIV3Schema) is structural as apiextensions/v1 requires,
 * with upstream's field paths (`...openAPIV3Schema.properties[spec].type`) and messages, and that
 * it is small and shallow enough to walk and its patterns compile. Returns every problem found.
 */
export function checkStructural(schema: unknown, field: string): StatusCause[] {
  const c: Check = { causes: [], nodes: 0 };
  if (!isObject(schema)) {
    required(c, field, 'schemas are required');
    return c.causes;
  }
  const s = schema as JsonSchema;
  if (s.type !== 'object' && !s['x-kubernetes-preserve-unknown-fields'])
    invalid(c, `${field}.type`, s.type ?? '', 'must be object at the root');
  if (s.properties?.metadata) checkMetadataSchema(c, s.properties.metadata, `${field}.properties[metadata]`);
  for (const key of ['apiVersion', 'kind'] as const) {
    const sub = s.properties?.[key];
    if (sub && sub.type !== 'string')
      invalid(c, `${field}.properties[${key}].type`, sub.type ?? '', 'must be string');
  }
  walk(c, s, field, 0, true);
  return c.causes.slice(0, 100);
}

function checkMetadataSchema(c: Check, meta: JsonSchema, field: string): void {
  for (const key of Object.keys(meta.properties ?? {}))
    if (key !== 'name' && key !== 'generateName')
      forbidden(
        c,
        `${field}.properties[${key}]`,
        'must not be specified for metadata other than name and generateName',
      );
}

function walk(c: Check, s: JsonSchema, field: string, depth: number, typed: boolean): void {
  if (++c.nodes > MAX_SCHEMA_NODES) {
    if (c.nodes === MAX_SCHEMA_NODES + 1)
      forbidden(
        c,
        field,
        `the schema has more than ${MAX_SCHEMA_NODES} nodes: split the resource or simplify its schema`,
      );
    return;
  }
  if (depth > MAX_SCHEMA_DEPTH) {
    forbidden(c, field, `the schema is nested deeper than ${MAX_SCHEMA_DEPTH} levels`);
    return;
  }
  if (!isObject(s as unknown)) {
    invalid(c, field, s, 'must be a schema object');
    return;
  }
  checkNode(c, s, field, typed);
  for (const [name, sub] of Object.entries(s.properties ?? {}))
    walk(c, sub, `${field}.properties[${name}]`, depth + 1, true);
  if (isObject(s.additionalProperties))
    walk(c, s.additionalProperties, `${field}.additionalProperties`, depth + 1, true);
  if (s.items !== undefined) {
    if (Array.isArray(s.items))
      forbidden(c, `${field}.items`, 'items must be a schema object and not an array');
    else walk(c, s.items, `${field}.items`, depth + 1, true);
  }
  // Value validations under combinators need no type of their own (they are not structural).
  for (const k of COMBINATORS)
    for (const [i, sub] of (s[k] ?? []).entries()) walk(c, sub, `${field}.${k}[${i}]`, depth + 1, false);
  if (s.not) walk(c, s.not, `${field}.not`, depth + 1, false);
}

function checkNode(c: Check, s: JsonSchema, field: string, typed: boolean): void {
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s.type !== undefined && !TYPES.includes(s.type))
    c.causes.push({
      reason: 'FieldValueNotSupported',
      field: `${field}.type`,
      message: `Unsupported value: ${show(s.type)}: supported values: ${TYPES.map((t) => `"${t}"`).join(', ')}`,
    });
  if (typed && s.type === undefined && !intOrString && !preserve)
    required(c, `${field}.type`, 'must not be empty for specified object fields');
  if (intOrString && s.type !== undefined)
    invalid(c, `${field}.type`, s.type, 'must be empty if x-kubernetes-int-or-string is true');
  if (s.properties && s.additionalProperties !== undefined && s.additionalProperties !== false)
    forbidden(c, `${field}.additionalProperties`, 'additionalProperties and properties are mutual exclusive');
  if (s.type === 'array' && s.items === undefined && typed)
    required(c, `${field}.items`, 'must be specified');
  if (s['x-kubernetes-embedded-resource'] && s.type !== 'object')
    invalid(c, `${field}.type`, s.type ?? '', 'must be object if x-kubernetes-embedded-resource is true');
  const listType = s['x-kubernetes-list-type'];
  if (listType !== undefined && !LIST_TYPES.includes(listType))
    c.causes.push({
      reason: 'FieldValueNotSupported',
      field: `${field}.x-kubernetes-list-type`,
      message: `Unsupported value: ${show(listType)}: supported values: "atomic", "map", "set"`,
    });
  if (listType === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    if (keys.length === 0)
      required(
        c,
        `${field}.x-kubernetes-list-map-keys`,
        'must not be empty if x-kubernetes-list-type is map',
      );
    const itemProps = s.items?.properties ?? {};
    for (const k of keys)
      if (!itemProps[k])
        invalid(
          c,
          `${field}.x-kubernetes-list-map-keys`,
          keys,
          `entries must all be names of required properties of items`,
        );
  }
  if (s.pattern !== undefined) {
    if (typeof s.pattern !== 'string' || s.pattern.length > MAX_PATTERN_LENGTH)
      invalid(
        c,
        `${field}.pattern`,
        s.pattern,
        `must be a string of at most ${MAX_PATTERN_LENGTH} characters`,
      );
    else {
      const re = compilePattern(s.pattern);
      if (typeof re === 'string')
        invalid(c, `${field}.pattern`, s.pattern, `must be a valid regular expression, but isn't: ${re}`);
    }
  }
  for (const k of [
    'minimum',
    'maximum',
    'multipleOf',
    'minLength',
    'maxLength',
    'minItems',
    'maxItems',
  ] as const)
    if (s[k] !== undefined && typeof s[k] !== 'number') invalid(c, `${field}.${k}`, s[k], 'must be a number');
  if (s.enum !== undefined && !Array.isArray(s.enum)) invalid(c, `${field}.enum`, s.enum, 'must be a list');
  if (
    s.required !== undefined &&
    !(Array.isArray(s.required) && s.required.every((r) => typeof r === 'string'))
  )
    invalid(c, `${field}.required`, s.required, 'must be a list of property names');
  const rules = s['x-kubernetes-validations'];
  if (rules !== undefined && !Array.isArray(rules))
    invalid(c, `${field}.x-kubernetes-validations`, rules, 'must be a list of rules');
}
