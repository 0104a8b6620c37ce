import type { ResourceDef } from '../registry/types.js';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** The OpenAPI name of a custom resource's schema, as upstream: the reversed group, version, kind. */
export function schemaName(def: ResourceDef): string {
  return [...def.group.split('.').reverse(), def.version, def.kind].join('.');
}

/** A minimal ObjectMeta, enough for `kubectl explain <cr>.metadata`. */
export const objectMetaSchema: Record<string, unknown> = {
  description:
    'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  type: 'object',
  properties: {
    name: { description: 'Name must be unique within a namespace.', type: 'string' },
    generateName: { description: 'An optional prefix to generate a unique name.', type: 'string' },
    namespace: { description: 'The namespace the object lives in.', type: 'string' },
    labels: {
      description: 'Map of string keys and values to organize and categorize objects.',
      type: 'object',
      additionalProperties: { type: 'string', default: '' },
    },
    annotations: {
      description: 'Unstructured key value map stored with a resource.',
      type: 'object',
      additionalProperties: { type: 'string', default: '' },
    },
    uid: { description: 'The unique in time and space value for this object.', type: 'string' },
    resourceVersion: {
      description: 'An opaque value for the internal version of this object.',
      type: 'string',
    },
    generation: {
      description: 'A sequence number representing a specific generation of the desired state.',
      type: 'integer',
      format: 'int64',
    },
    creationTimestamp: { description: 'When this object was created.', type: 'string', format: 'date-time' },
    deletionTimestamp: {
      description: 'When this object will be deleted.',
      type: 'string',
      format: 'date-time',
    },
    finalizers: {
      description: 'Must be empty before the object is deleted from the registry.',
      type: 'array',
      items: { type: 'string', default: '' },
    },
  },
};

/**
 * A served custom resource version's schema as kube-apiserver publishes it in OpenAPI v3: the
 * CRD's openAPIV3Schema with `apiVersion`, `kind` and `metadata` (a reference to ObjectMeta)
 * filled in and the GroupVersionKind attached, so `kubectl explain <cr>.spec` can walk it.
 * Undefined for built-in kinds (their schemas are not published yet).
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

/** The `components.schemas` of one group/version document: each custom resource's schema, and ObjectMeta. */
export function buildComponentSchemas(defs: readonly ResourceDef[]): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const def of defs) {
    const schema = customResourceSchema(def);
    if (schema) schemas[schemaName(def)] = schema;
  }
  if (Object.keys(schemas).length) schemas[OBJECT_META] = objectMetaSchema;
  return schemas;
}
