import type { ResourceDef } from '../registry/types.js';

/** The upstream name of ObjectMeta, which every custom resource's `metadata` refers to. */
export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** The OpenAPI name of a custom resource's schema, as upstream: the reversed group, version, kind. */
export function customResourceSchemaName(def: ResourceDef): string {
  return [...def.group.split('.').reverse(), def.version, def.kind].join('.');
}

/**
 * A served custom resource version's schema as kube-apiserver publishes it in OpenAPI v3: the
 * CRD's openAPIV3Schema with `apiVersion`, `kind` and `metadata` (a reference to ObjectMeta)
 * filled in and the GroupVersionKind attached, so `kubectl explain <cr>.spec` can walk it.
 * Undefined for built-in kinds (builtin-definitions.ts has theirs).
 */
export function customResourceSchema(def: ResourceDef): Record<string, unknown> | undefined {
  if (!def.sharedVersions || typeof def.applySchema !== 'object' || def.applySchema === null)
    return undefined;
  const schema = structuredClone(def.applySchema) as Record<string, unknown>;
  const properties = (
    typeof schema.properties === 'object' && schema.properties !== null ? schema.properties : {}
  ) as Record<string, unknown>;
  schema.properties = {
    apiVersion: {
      description:
        'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
      type: 'string',
    },
    kind: {
      description:
        'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase.',
      type: 'string',
    },
    ...properties,
    metadata: {
      description:
        "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
      allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }],
    },
  };
  schema.type ??= 'object';
  schema['x-kubernetes-group-version-kind'] = [{ group: def.group, kind: def.kind, version: def.version }];
  return schema;
}
