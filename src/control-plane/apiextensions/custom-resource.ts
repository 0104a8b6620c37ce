import type { StatusCause, UntypedObject } from '../../kube/index.js';
import type { ResourceDef, Subresource } from '../registry/types.js';
import type { RuleNode } from './cel-compile.js';
import { compileRules } from './cel-compile.js';
import { validateRules } from './cel-validate.js';
import { buildPrinterColumns, type PrinterColumn } from './printer-columns.js';
import { type CompiledPatterns, compilePatterns } from './schema-patterns.js';
import { applyDefaults, prune } from './schema-prune-default.js';
import { isObject, type JsonSchema } from './schema-types.js';
import { validateValue } from './schema-validate.js';

/** The names a CRD serves under (its spec.names, or status.acceptedNames once accepted). */
export interface CrdNames {
  readonly plural: string;
  readonly singular: string;
  readonly kind: string;
  readonly listKind: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
}

/** A CRD's names with upstream's defaults (singular = lowercase kind, listKind = kind + List). */
export function namesOf(crd: UntypedObject): CrdNames {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const n = isObject(spec.names) ? spec.names : {};
  const kind = String(n.kind ?? '');
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return {
    plural: String(n.plural ?? ''),
    singular: typeof n.singular === 'string' && n.singular ? n.singular : kind.toLowerCase(),
    kind,
    listKind: typeof n.listKind === 'string' && n.listKind ? n.listKind : `${kind}List`,
    shortNames: strings(n.shortNames),
    categories: strings(n.categories),
  };
}

function dotPath(path: unknown): string[] {
  return typeof path === 'string' ? path.split('.').filter(Boolean) : [];
}

/** The body of a custom resource that the schema covers (metadata is checked as ObjectMeta). */
function body(obj: UntypedObject): Record<string, unknown> {
  const { metadata: _m, ...rest } = obj;
  return rest;
}

function validator(schema: JsonSchema, patterns: CompiledPatterns) {
  return (obj: unknown, field: string): StatusCause[] => {
    const causes: StatusCause[] = [];
    validateValue(schema, obj, field, patterns, causes);
    return causes;
  };
}

function versionDef(crd: UntypedObject, names: CrdNames, version: Record<string, unknown>): ResourceDef {
  const spec = crd.spec as Record<string, unknown>;
  const schema = ((isObject(version.schema) && version.schema.openAPIV3Schema) || {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  }) as JsonSchema;
  const patterns = compilePatterns(schema);
  const check = validator(schema, patterns);
  // Compiled once per CRD version; the CRD was refused at write time if a rule did not compile.
  const rules: RuleNode | undefined = compileRules(schema, '', []);
  const statusSchema = schema.properties?.status;
  const subs = isObject(version.subresources) ? version.subresources : {};
  const subresources: Subresource[] = [];
  if (isObject(subs.status)) subresources.push('status');
  const scale = isObject(subs.scale) ? subs.scale : undefined;
  if (scale) subresources.push('scale');
  const { columns, cells } = buildPrinterColumns(
    version.additionalPrinterColumns as PrinterColumn[] | undefined,
  );
  return {
    group: String(spec.group),
    version: String(version.name),
    kind: names.kind,
    plural: names.plural,
    singular: names.singular,
    namespaced: spec.scope === 'Namespaced',
    shortNames: names.shortNames,
    categories: names.categories,
    ...(version.deprecated === true
      ? {
          deprecationWarning:
            typeof version.deprecationWarning === 'string'
              ? version.deprecationWarning
              : `${String(spec.group)}/${String(version.name)} ${names.kind} is deprecated`,
        }
      : {}),
    subresources,
    sharedVersions: true,
    applySchema: schema,
    ...(subresources.includes('status') ? { statusField: 'status' as const } : {}),
    defaults(obj) {
      prune(schema, obj);
      applyDefaults(schema, obj);
    },
    unknownFields: (obj) => prune(schema, structuredClone(obj)).map((p) => p.slice(1)),
    validate: (obj) => check(body(obj), ''),
    // A status write skips `validate`; its status is still checked against the schema.
    validateUpdate: (obj, old) =>
      statusSchema && JSON.stringify(obj.status) !== JSON.stringify(old.status) && obj.status !== undefined
        ? validator(statusSchema, patterns)(obj.status, 'status')
        : [],
    ...(rules ? { validateWrite: (obj, old) => validateRules(rules, schema, obj, old) } : {}),
    columns,
    cells,
    ...(scale
      ? {
          customScale: {
            specReplicasPath: dotPath(scale.specReplicasPath),
            statusReplicasPath: dotPath(scale.statusReplicasPath),
            ...(scale.labelSelectorPath ? { labelSelectorPath: dotPath(scale.labelSelectorPath) } : {}),
          },
        }
      : {}),
  };
}

/** One ResourceDef per served version of an accepted CRD (conversion None: they share storage). */
export function buildCustomResources(crd: UntypedObject, names: CrdNames = namesOf(crd)): ResourceDef[] {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  return versions.filter((v) => v.served === true).map((v) => versionDef(crd, names, v));
}
