import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { checkSubdomain } from '../registry/validation.js';
import { compileRules } from './cel-compile.js';
import { compilePatterns } from './schema-patterns.js';
import { prune } from './schema-prune-default.js';
import { checkStructural } from './schema-structural.js';
import { isObject, type JsonSchema } from './schema-types.js';
import { show, validateValue } from './schema-validate.js';

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];
const SCOPES = ['Cluster', 'Namespaced'];

function req(field: string, detail = ''): StatusCause {
  return {
    reason: 'FieldValueRequired',
    field,
    message: detail ? `Required value: ${detail}` : 'Required value',
  };
}

function bad(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${show(value)}: ${detail}` };
}

function unsupported(field: string, value: unknown, values: readonly string[]): StatusCause {
  return {
    reason: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${show(value)}: supported values: ${values.map((v) => `"${v}"`).join(', ')}`,
  };
}

function label1035(value: unknown, field: string, causes: StatusCause[], what = 'a DNS-1035 label'): void {
  if (typeof value !== 'string' || value.length > 63 || !DNS1035.test(value))
    causes.push(
      bad(
        field,
        value,
        `${what} must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      ),
    );
}

function checkNames(names: unknown, causes: StatusCause[]): void {
  const f = 'spec.names';
  if (!isObject(names)) {
    causes.push(req(f));
    return;
  }
  if (!names.plural) causes.push(req(`${f}.plural`));
  else label1035(names.plural, `${f}.plural`, causes);
  if (names.singular !== undefined && names.singular !== '')
    label1035(names.singular, `${f}.singular`, causes);
  if (!names.kind) causes.push(req(`${f}.kind`));
  else if (typeof names.kind !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(names.kind))
    causes.push(
      bad(
        `${f}.kind`,
        names.kind,
        'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?',
      ),
    );
  if (names.listKind !== undefined && names.listKind === names.kind)
    causes.push(bad(`${f}.listKind`, names.listKind, 'kind and listKind may not be the same'));
  for (const key of ['shortNames', 'categories'] as const) {
    const list = names[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) causes.push(bad(`${f}.${key}`, list, 'must be a list of strings'));
    else for (const [i, s] of list.entries()) label1035(s, `${f}.${key}[${i}]`, causes);
  }
}

function checkSubresources(sub: unknown, field: string, causes: StatusCause[]): void {
  if (sub === undefined) return;
  if (!isObject(sub)) return void causes.push(bad(field, sub, 'must be an object'));
  const scale = sub.scale;
  if (scale === undefined) return;
  if (!isObject(scale)) return void causes.push(bad(`${field}.scale`, scale, 'must be an object'));
  for (const [key, prefix] of [
    ['specReplicasPath', '.spec.'],
    ['statusReplicasPath', '.status.'],
  ] as const) {
    const path = scale[key];
    if (!path) causes.push(req(`${field}.scale.${key}`));
    else if (typeof path !== 'string' || !path.startsWith(prefix) || !/^(\.[A-Za-z0-9_-]+)+$/.test(path))
      causes.push(bad(`${field}.scale.${key}`, path, `should be a json path under ${prefix.slice(0, -1)}`));
  }
}

function checkColumns(cols: unknown, field: string, causes: StatusCause[]): void {
  if (cols === undefined) return;
  if (!Array.isArray(cols)) return void causes.push(bad(field, cols, 'must be a list'));
  for (const [i, col] of cols.entries()) {
    const f = `${field}[${i}]`;
    if (!isObject(col)) {
      causes.push(bad(f, col, 'must be an object'));
      continue;
    }
    if (!col.name) causes.push(req(`${f}.name`));
    if (!col.type) causes.push(req(`${f}.type`));
    else if (!COLUMN_TYPES.includes(String(col.type)))
      causes.push(unsupported(`${f}.type`, col.type, COLUMN_TYPES));
    if (!col.jsonPath) causes.push(req(`${f}.jsonPath`));
    else if (typeof col.jsonPath !== 'string' || !col.jsonPath.startsWith('.'))
      causes.push(bad(`${f}.jsonPath`, col.jsonPath, 'must be a simple json path starting with .'));
  }
}

/** Checks every `default` in a schema: it must survive pruning and validate against its node. */
function checkDefaults(schema: JsonSchema, field: string, causes: StatusCause[], depth = 0): void {
  if (depth > 64 || !isObject(schema)) return;
  if (schema.default !== undefined) {
    const value = structuredClone(schema.default);
    const dropped = prune(schema, value, false);
    if (dropped.length)
      causes.push(
        bad(`${field}.default`, schema.default, `must not have unknown fields: ${dropped.join(', ')}`),
      );
    const sub: StatusCause[] = [];
    validateValue(schema, value, `${field}.default`, compilePatterns(schema), sub);
    causes.push(...sub);
  }
  for (const [name, s] of Object.entries(schema.properties ?? {}))
    checkDefaults(s, `${field}.properties[${name}]`, causes, depth + 1);
  if (isObject(schema.items)) checkDefaults(schema.items, `${field}.items`, causes, depth + 1);
  if (isObject(schema.additionalProperties))
    checkDefaults(schema.additionalProperties, `${field}.additionalProperties`, causes, depth + 1);
}

function checkVersions(spec: Record<string, unknown>, causes: StatusCause[]): void {
  const versions = spec.versions;
  if (!Array.isArray(versions) || versions.length === 0) return void causes.push(req('spec.versions'));
  const names = new Set<string>();
  let storage = 0;
  let served = 0;
  for (const [i, v] of versions.entries()) {
    const f = `spec.versions[${i}]`;
    if (!isObject(v)) {
      causes.push(bad(f, v, 'must be an object'));
      continue;
    }
    if (!v.name) causes.push(req(`${f}.name`));
    else label1035(v.name, `${f}.name`, causes);
    if (typeof v.name === 'string' && names.has(v.name))
      causes.push(
        bad(
          'spec.versions',
          versions.map((x) => (isObject(x) ? x.name : x)),
          'must contain unique version names',
        ),
      );
    if (typeof v.name === 'string') names.add(v.name);
    if (v.storage === true) storage++;
    if (v.served === true) served++;
    for (const key of ['served', 'storage'] as const)
      if (typeof v[key] !== 'boolean') causes.push(req(`${f}.${key}`));
    const schema = isObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
    const schemaField = `${f}.schema.openAPIV3Schema`;
    const structural = checkStructural(schema, schemaField);
    causes.push(...structural);
    if (structural.length === 0 && isObject(schema)) checkDefaults(schema as JsonSchema, schemaField, causes);
    checkSubresources(v.subresources, `${f}.subresources`, causes);
    checkColumns(v.additionalPrinterColumns, `${f}.additionalPrinterColumns`, causes);
  }
  if (storage !== 1)
    causes.push(bad('spec.versions', storage, 'must have exactly one version marked as storage version'));
  if (served === 0)
    causes.push(bad('spec.versions', served, 'must have at least one version marked as served'));
}

/**
 * Validates an apiextensions.k8s.io/v1 CustomResourceDefinition as upstream's
 * ValidateCustomResourceDefinition, for what tugboat serves: name = plural.group, a group with a
 * dot, scope, names, versions (one storage version, at least one served, structural schemas with
 * compiling patterns and valid defaults), subresources, printer columns and conversion None.
 */
export function validateCrd(obj: UntypedObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = obj.spec;
  if (!isObject(spec)) return [req('spec')];
  const group = spec.group;
  if (!group) causes.push(req('spec.group'));
  else if (typeof group !== 'string' || !group.includes('.'))
    causes.push(bad('spec.group', group, 'should be a domain with at least one dot'));
  else causes.push(...checkSubdomain(group, 'spec.group'));
  const names = isObject(spec.names) ? spec.names : {};
  const want = `${String(names.plural ?? '')}.${String(group ?? '')}`;
  if (obj.metadata?.name !== want)
    causes.push(bad('metadata.name', obj.metadata?.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  if (!spec.scope) causes.push(req('spec.scope'));
  else if (!SCOPES.includes(String(spec.scope))) causes.push(unsupported('spec.scope', spec.scope, SCOPES));
  checkNames(spec.names, causes);
  checkVersions(spec, causes);
  const conversion = isObject(spec.conversion) ? spec.conversion : undefined;
  if (conversion?.strategy !== undefined && conversion.strategy !== 'None')
    // Serving a Webhook CRD as None would hand clients unconverted objects: refuse it instead.
    causes.push(unsupported('spec.conversion.strategy', conversion.strategy, ['None']));
  if (spec.preserveUnknownFields === true)
    causes.push(
      bad('spec.preserveUnknownFields', true, 'must be false in order to use defaults in the schema'),
    );
  return causes;
}

/** Immutable parts of a CRD: scope (and the stored versions must stay served or be dropped first). */
export function validateCrdUpdate(obj: UntypedObject, old: UntypedObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = isObject(obj.spec) ? obj.spec : {};
  const oldSpec = isObject(old.spec) ? old.spec : {};
  if (spec.scope !== oldSpec.scope) causes.push(bad('spec.scope', spec.scope, 'field is immutable'));
  if (spec.group !== oldSpec.group) causes.push(bad('spec.group', spec.group, 'field is immutable'));
  return causes;
}

function ruleCauses(crd: UntypedObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = isObject(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  for (const [i, v] of versions.entries()) {
    const schema = isObject(v) && isObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
    const field = `spec.versions[${i}].schema.openAPIV3Schema`;
    if (isObject(schema) && checkStructural(schema, field).length === 0)
      compileRules(schema as JsonSchema, field, causes);
  }
  return causes;
}

/**
 * Compiles the CRD's x-kubernetes-validations rules (runs once the rest of the CRD is valid). On
 * update a problem the stored CRD already had is not reported again (as upstream ratchets): a CRD
 * stored before rules were compiled still takes its finalizer and status writes.
 */
export function validateCrdRules(obj: UntypedObject, old: UntypedObject | undefined): StatusCause[] {
  const causes = ruleCauses(obj);
  if (!old || causes.length === 0) return causes;
  const before = new Set(ruleCauses(old).map((c) => `${c.field}\n${c.message}`));
  return causes.filter((c) => !before.has(`${c.field}\n${c.message}`));
}
