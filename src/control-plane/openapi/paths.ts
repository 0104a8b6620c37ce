import type { ResourceDef } from '../registry/types.js';
import { schemaName } from './schemas.js';

/** `api/v1` or `apis/{group}/{version}`: a group/version's path (under `/` or `/openapi/v3/`). */
export function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Builds one operation of a resource, given its schema name (undefined: the kind has none). */
export type OperationBuilder = (def: ResourceDef, action: string, name: string | undefined) => unknown;

/** The paths of `defs` (item and collection of each), with the operations `operation` builds. */
export function buildResourcePaths(
  defs: readonly ResourceDef[],
  operation: OperationBuilder,
): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const def of defs) {
    const name = schemaName(def);
    const base = `/${gvPath(def.group, def.version)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.plural}`;
    paths[`${base}/{name}`] = {
      get: operation(def, 'get', name),
      put: operation(def, 'put', name),
      patch: operation(def, 'patch', name),
      delete: operation(def, 'delete', name),
    };
    paths[base] = { get: operation(def, 'list', name), post: operation(def, 'post', name) };
  }
  return paths;
}
