import { schemaType, type TypeNode } from '../../../../src/control-plane/api/apply/type-node.js';

/**
 * A custom resource type with every list and map kind: `ports` a list-map keyed by `keys`, `tags`
 * a set, `plain`/`args` atomic lists, `sel` an atomic map.
 */
export function crType(keys: readonly string[]): TypeNode {
  const keyProps = Object.fromEntries(keys.map((k) => [k, { type: k === 'port' ? 'integer' : 'string' }]));
  return schemaType({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          ports: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': keys,
            items: { type: 'object', properties: { ...keyProps, port: { type: 'integer' } } },
          },
          tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
          plain: { type: 'array', items: { type: 'string' } },
          args: { type: 'array', items: { type: 'string' } },
          sel: {
            type: 'object',
            'x-kubernetes-map-type': 'atomic',
            additionalProperties: { type: 'string' },
          },
        },
      },
    },
  });
}
