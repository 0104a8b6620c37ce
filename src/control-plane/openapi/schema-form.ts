import type { Schema } from './builtin-definitions.js';

/**
 * Copies `schema` with every `$ref` pointing into `prefix` (`#/components/schemas/` for OpenAPI v3,
 * `#/definitions/` for Swagger 2.0). For v3 a reference with sibling keywords (a description, a
 * default) becomes `allOf: [{$ref}]` beside them, as kube-openapi publishes it, since OpenAPI 3.0
 * ignores a `$ref`'s siblings; for v2 such an `allOf` of one reference folds back into `$ref`.
 */
export function withRefsTo(schema: unknown, prefix: string): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withRefsTo(item, prefix));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === '$ref' && typeof value === 'string'
        ? prefix + value.slice(value.lastIndexOf('/') + 1)
        : withRefsTo(value, prefix);
  }
  const v3 = prefix.startsWith('#/components/');
  if (v3 && typeof out.$ref === 'string' && Object.keys(out).length > 1) {
    const { $ref, ...rest } = out;
    return { ...rest, allOf: [{ $ref }] };
  }
  const allOf = out.allOf;
  if (!v3 && Array.isArray(allOf) && allOf.length === 1 && typeof allOf[0]?.$ref === 'string') {
    const { allOf: _, ...rest } = out;
    return { ...rest, $ref: allOf[0].$ref };
  }
  return out;
}

/**
 * Types whose OpenAPI v3 schema says which JSON types they take (kube-openapi's
 * `OpenAPIV3OneOfTypes`) where Swagger 2.0 can only say `type: string`: kubectl explain then
 * names them (`<IntOrString>`, `<Quantity>`) instead of printing `<string>`.
 */
const V3_ONE_OF: Record<string, readonly string[]> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': ['integer', 'string'],
  'io.k8s.apimachinery.pkg.api.resource.Quantity': ['string', 'number'],
};

/** A named definition as an OpenAPI v3 document carries it. */
export function toV3Definition(name: string, schema: Schema): unknown {
  const converted = withRefsTo(schema, V3_PREFIX) as Schema;
  const oneOf = V3_ONE_OF[name];
  if (!oneOf) return converted;
  const { type: _, ...rest } = converted;
  return { ...rest, oneOf: oneOf.map((type) => ({ type })) };
}

/** `#/components/schemas/` for OpenAPI v3 documents. */
export const V3_PREFIX = '#/components/schemas/';
/** `#/definitions/` for Swagger 2.0 documents. */
export const V2_PREFIX = '#/definitions/';
