import type { ResourceCatalog } from '../registry/catalog.js';
import type { ResourceDef } from '../registry/types.js';
import { buildResourcePaths } from './paths.js';
import { V2_PREFIX, withRefsTo } from './schema-form.js';
import { collectSchemas } from './schemas.js';
import { encodeOpenApiV2 } from './v2-protobuf.js';

function operation(def: ResourceDef, action: string, name: string | undefined): Record<string, unknown> {
  const schema =
    name && action !== 'list' && action !== 'delete' ? { schema: { $ref: `${V2_PREFIX}${name}` } } : {};
  return {
    operationId: `${action}${def.kind}`,
    consumes: ['*/*'],
    produces: ['application/json', 'application/yaml'],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, version: def.version, kind: def.kind },
    responses: { '200': { description: 'OK', ...schema } },
  };
}

/** `/openapi/v2` in both forms it is served in; the protobuf is encoded on first demand. */
export interface RenderedV2 {
  readonly json: string;
  readonly protobuf: () => Buffer;
}

const rendered = new WeakMap<readonly ResourceDef[], Map<string, RenderedV2>>();

/**
 * `/openapi/v2` (Swagger 2.0): every served resource's paths with their GroupVersionKind, and the
 * definitions of every served kind, built-in and custom, with what they reference; as JSON and as
 * gnostic protobuf. Cached per catalog snapshot, like the v3 documents.
 */
export function renderOpenApiV2(catalog: ResourceCatalog, serverVersion: string): RenderedV2 {
  let cache = rendered.get(catalog.all());
  if (!cache) {
    cache = new Map();
    rendered.set(catalog.all(), cache);
  }
  const hit = cache.get(serverVersion);
  if (hit) return hit;
  const defs = catalog.all();
  const paths = buildResourcePaths(defs, operation);
  const definitions: Record<string, unknown> = {};
  for (const [name, schema] of [...collectSchemas(defs)].sort(([a], [b]) => (a < b ? -1 : 1)))
    definitions[name] = withRefsTo(schema, V2_PREFIX);
  const doc = { swagger: '2.0', info: { title: 'Kubernetes', version: serverVersion }, paths, definitions };
  let protobuf: Buffer | undefined;
  const answer = { json: JSON.stringify(doc), protobuf: () => (protobuf ??= encodeOpenApiV2(doc)) };
  cache.set(serverVersion, answer);
  return answer;
}
