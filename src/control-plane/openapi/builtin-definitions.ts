import { gunzipSync } from 'node:zlib';
import { BUILTIN_DEFINITIONS_GZIP_BASE64 } from './builtin-definitions.data.js';

/** An OpenAPI schema object, as JSON. */
export type Schema = Record<string, unknown>;

/** Upstream definitions by name (`io.k8s.api.core.v1.Pod`) and by `group/version/kind`. */
interface Definitions {
  readonly byName: ReadonlyMap<string, Schema>;
  readonly byGvk: ReadonlyMap<string, string>;
}

let loaded: Definitions | undefined;

/**
 * The built-in definitions, decoded on first use: the process pays for them (~3 MB of heap) only
 * once a client asks for an OpenAPI document, and then once.
 */
function definitions(): Definitions {
  if (loaded) return loaded;
  const raw = JSON.parse(gunzipSync(Buffer.from(BUILTIN_DEFINITIONS_GZIP_BASE64, 'base64')).toString('utf8'));
  const byName = new Map<string, Schema>(Object.entries(raw as Record<string, Schema>));
  const byGvk = new Map<string, string>();
  for (const [name, schema] of byName) {
    for (const gvk of (schema['x-kubernetes-group-version-kind'] ?? []) as Array<Record<string, string>>)
      byGvk.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
  }
  loaded = { byName, byGvk };
  return loaded;
}

/** The upstream definition name of a built-in kind; undefined when the source has none (metrics). */
export function builtinDefinitionName(group: string, version: string, kind: string): string | undefined {
  return definitions().byGvk.get(`${group}/${version}/${kind}`);
}

/** One upstream definition by name (`io.k8s.api.core.v1.PodSpec`); undefined when not shipped. */
export function builtinDefinition(name: string): Schema | undefined {
  return definitions().byName.get(name);
}

/** Names referenced (`$ref: '#/definitions/NAME'` or `#/components/schemas/NAME`) anywhere in `schema`. */
export function referencedNames(schema: unknown): string[] {
  const names: string[] = [];
  JSON.stringify(schema, (key, value) => {
    if (key === '$ref' && typeof value === 'string') names.push(value.slice(value.lastIndexOf('/') + 1));
    return value;
  });
  return names;
}

/**
 * Adds `names` and every built-in definition they reach to `into` (Swagger 2.0 form: refs point at
 * `#/definitions/`). Names that are not built-in definitions are skipped.
 */
export function collectBuiltinDefinitions(names: Iterable<string>, into: Map<string, Schema>): void {
  const { byName } = definitions();
  const pending = [...names];
  while (pending.length) {
    const name = pending.pop()!;
    const schema = byName.get(name);
    if (!schema || into.has(name)) continue;
    into.set(name, schema);
    pending.push(...referencedNames(schema));
  }
}
