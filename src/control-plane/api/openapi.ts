import { createHash } from 'node:crypto';
import type { ResourceCatalog } from '../registry/catalog.js';
import type { ResourceDef } from '../registry/types.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: 'string' },
  uniqueItems: true,
}));

function operation(def: ResourceDef, action: string): Record<string, unknown> {
  return {
    operationId: `${action}${def.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, version: def.version, kind: def.kind },
    parameters: QUERY_PARAMS,
    responses: { '200': { description: 'OK' } },
  };
}

/**
 * A minimal OpenAPI v3 document for one group/version: one path per resource whose PATCH and PUT
 * operations carry the GroupVersionKind and the `fieldValidation` parameter. That is what kubectl
 * checks before it trusts the server with validation (instead of downloading full schemas).
 */
export function buildOpenApiV3(
  catalog: ResourceCatalog,
  group: string,
  version: string,
  serverVersion: string,
): Record<string, unknown> | undefined {
  const defs = catalog.groupVersion(group, version);
  if (defs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const def of defs) {
    const base = `/${gvPath(group, version)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.plural}`;
    paths[`${base}/{name}`] = {
      get: operation(def, 'get'),
      put: operation(def, 'put'),
      patch: operation(def, 'patch'),
      delete: operation(def, 'delete'),
    };
    paths[base] = { get: operation(def, 'list'), post: operation(def, 'post') };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths,
    components: { schemas: {} },
  };
}

/** `/openapi/v3`: the group/version documents and their (content-hashed) URLs. */
export function buildOpenApiV3Root(catalog: ResourceCatalog, serverVersion: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const g of catalog.groups()) {
    for (const v of g.versions) {
      const doc = JSON.stringify(buildOpenApiV3(catalog, g.group, v, serverVersion));
      const hash = createHash('sha512').update(doc).digest('hex').slice(0, 32).toUpperCase();
      paths[gvPath(g.group, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(g.group, v)}?hash=${hash}` };
    }
  }
  return { paths };
}
