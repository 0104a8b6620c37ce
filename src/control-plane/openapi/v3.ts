import { createHash } from 'node:crypto';
import type { ResourceCatalog } from '../registry/catalog.js';
import type { ResourceDef } from '../registry/types.js';
import { buildResourcePaths, gvPath } from './paths.js';
import { toV3Definition, V3_PREFIX } from './schema-form.js';
import { collectSchemas } from './schemas.js';

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: 'string' },
  uniqueItems: true,
}));

function operation(def: ResourceDef, action: string, name: string | undefined): Record<string, unknown> {
  const content =
    name && action !== 'list' && action !== 'delete'
      ? { content: { 'application/json': { schema: { $ref: `${V3_PREFIX}${name}` } } } }
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
 * server with validation), and the schemas of its kinds with everything they reference — upstream's
 * for built-ins, the CRD's for custom resources — which `kubectl explain` walks.
 */
export function buildOpenApiV3(
  catalog: ResourceCatalog,
  group: string,
  version: string,
  serverVersion: string,
): Record<string, unknown> | undefined {
  const defs = catalog.groupVersion(group, version);
  if (defs.length === 0) return undefined;
  const paths = buildResourcePaths(defs, operation);
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of [...collectSchemas(defs)].sort(([a], [b]) => (a < b ? -1 : 1)))
    schemas[name] = toV3Definition(name, schema);
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: serverVersion },
    paths,
    components: { schemas },
  };
}

/** A rendered group/version document and its content hash (upstream: SHA-512, upper-case hex). */
export interface RenderedDocument {
  readonly body: string;
  readonly hash: string;
}

const rendered = new WeakMap<readonly ResourceDef[], Map<string, RenderedDocument | undefined>>();

/**
 * The group/version document as sent, cached per catalog snapshot (a CRD change makes a new
 * snapshot, so its document and hash change at once; otherwise kubectl's repeated fetches for
 * every `apply` cost a map lookup, not a rebuild).
 */
export function renderOpenApiV3(
  catalog: ResourceCatalog,
  group: string,
  version: string,
  serverVersion: string,
): RenderedDocument | undefined {
  let cache = rendered.get(catalog.all());
  if (!cache) {
    cache = new Map();
    rendered.set(catalog.all(), cache);
  }
  const key = `${gvPath(group, version)} ${serverVersion}`;
  if (!cache.has(key)) {
    const doc = buildOpenApiV3(catalog, group, version, serverVersion);
    const body = doc && JSON.stringify(doc);
    cache.set(
      key,
      body ? { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() } : undefined,
    );
  }
  return cache.get(key);
}

/** `/openapi/v3`: the group/version documents and their (content-hashed) URLs. */
export function buildOpenApiV3Root(catalog: ResourceCatalog, serverVersion: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const g of catalog.groups()) {
    for (const v of g.versions) {
      const doc = renderOpenApiV3(catalog, g.group, v, serverVersion);
      if (doc)
        paths[gvPath(g.group, v)] = {
          serverRelativeURL: `/openapi/v3/${gvPath(g.group, v)}?hash=${doc.hash}`,
        };
    }
  }
  return { paths };
}
