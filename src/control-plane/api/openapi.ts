import { createHash } from 'node:crypto';
import type { ResourceCatalog } from '../registry/catalog.js';
import type { ResourceDef } from '../registry/types.js';
import { buildComponentSchemas, schemaName } from './openapi-crd.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: 'string' },
  uniqueItems: true,
}));

function operation(
  def: ResourceDef,
  action: string,
  schemas: Record<string, unknown>,
): Record<string, unknown> {
  const name = schemaName(def);
  const content =
    name in schemas && action !== 'list' && action !== 'delete'
      ? { content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } }
      : {};
  return {
    operationId: `${action}${def.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, version: def.version, kind: def.kind },
    parameters: QUERY_PARAMS,
    responses: { '200': { description: 'OK', ...content } },
  };
}

/**
 * The OpenAPI v3 document for one group/version: one path per resource whose operations carry the
 * GroupVersionKind and the `fieldValidation` parameter (what kubectl checks before it trusts the
 * server with validation), and for custom resources their schemas (`kubectl explain`).
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
  const schemas = buildComponentSchemas(defs);
  for (const def of defs) {
    const base = `/${gvPath(group, version)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.plural}`;
    paths[`${base}/{name}`] = {
      get: operation(def, 'get', schemas),
      put: operation(def, 'put', schemas),
      patch: operation(def, 'patch', schemas),
      delete: operation(def, 'delete', schemas),
    };
    paths[base] = { get: operation(def, 'list', schemas), post: operation(def, 'post', schemas) };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths,
    components: { schemas },
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
