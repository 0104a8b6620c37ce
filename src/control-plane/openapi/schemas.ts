import type { ResourceDef } from '../registry/types.js';
import { builtinDefinitionName, collectBuiltinDefinitions, type Schema } from './builtin-definitions.js';
import { customResourceSchema, customResourceSchemaName, OBJECT_META } from './crd-schemas.js';

/**
 * The schema name of a served kind: the upstream definition of a built-in (`io.k8s.api.apps.v1.Deployment`),
 * the reversed-group name of a custom resource; undefined for a kind with no schema (metrics).
 */
export function schemaName(def: ResourceDef): string | undefined {
  if (def.sharedVersions) return customResourceSchema(def) ? customResourceSchemaName(def) : undefined;
  return builtinDefinitionName(def.group, def.version, def.kind);
}

/**
 * The schemas a document serving `defs` carries: each kind's own and every definition they reach
 * (ObjectMeta and its parts for custom resources), by name, refs not yet pointed at a document form.
 */
export function collectSchemas(defs: readonly ResourceDef[]): Map<string, Schema> {
  const schemas = new Map<string, Schema>();
  const builtins: string[] = [];
  for (const def of defs) {
    const custom = def.sharedVersions ? customResourceSchema(def) : undefined;
    if (custom) {
      schemas.set(customResourceSchemaName(def), custom);
      builtins.push(OBJECT_META);
    } else {
      const name = builtinDefinitionName(def.group, def.version, def.kind);
      if (name) builtins.push(name);
    }
  }
  collectBuiltinDefinitions(builtins, schemas);
  return schemas;
}
