import protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import { encodeOpenApiV2 } from '../../../src/control-plane/openapi/v2-protobuf.js';

const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });
/** The part of gnostic's openapiv2/OpenAPIv2.proto this test reads, written out independently. */
const gnostic = protobuf.Root.fromJSON({
  nested: {
    Document: {
      fields: {
        swagger: { type: 'string', id: 1 },
        info: { type: 'Info', id: 2 },
        definitions: { type: 'Definitions', id: 9 },
      },
    },
    Info: { fields: { title: { type: 'string', id: 1 }, version: { type: 'string', id: 2 } } },
    Definitions: { fields: { additionalProperties: repeated('NamedSchema', 1) } },
    NamedSchema: { fields: { name: { type: 'string', id: 1 }, value: { type: 'Schema', id: 2 } } },
    Schema: {
      fields: {
        description: { type: 'string', id: 4 },
        minimum: { type: 'double', id: 9 },
        maxLength: { type: 'int64', id: 11 },
        required: repeated('string', 19),
        enum: repeated('Any', 20),
        additionalProperties: { type: 'AdditionalPropertiesItem', id: 21 },
        type: { type: 'TypeItem', id: 22 },
        properties: { type: 'Properties', id: 25 },
        vendorExtension: repeated('NamedAny', 31),
      },
    },
    AdditionalPropertiesItem: {
      fields: { schema: { type: 'Schema', id: 1 }, boolean: { type: 'bool', id: 2 } },
    },
    TypeItem: { fields: { value: repeated('string', 1) } },
    Properties: { fields: { additionalProperties: repeated('NamedSchema', 1) } },
    Any: { fields: { yaml: { type: 'string', id: 2 } } },
    NamedAny: { fields: { name: { type: 'string', id: 1 }, value: { type: 'Any', id: 2 } } },
  },
});

describe('encodeOpenApiV2', () => {
  it('writes nested schemas, booleans, numbers, enums and x- extensions as gnostic messages', () => {
    const bytes = encodeOpenApiV2({
      swagger: '2.0',
      info: { title: 'Kubernetes', version: 'v1.32.0' },
      definitions: {
        'example.v1.Widget': {
          type: 'object',
          description: 'a widget',
          required: ['spec'],
          additionalProperties: false,
          properties: {
            spec: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } },
            size: { type: ['integer', 'null'], minimum: -1.5, enum: [1, 'two'] },
          },
          'x-kubernetes-list-type': 'map',
        },
      },
    });
    const doc = gnostic
      .lookupType('Document')
      .toObject(gnostic.lookupType('Document').decode(bytes), { longs: Number });
    expect(doc.swagger).toBe('2.0');
    expect(doc.info).toEqual({ title: 'Kubernetes', version: 'v1.32.0' });
    const [widget] = doc.definitions.additionalProperties;
    expect(widget.name).toBe('example.v1.Widget');
    const s = widget.value;
    expect(s).toMatchObject({ description: 'a widget', required: ['spec'], type: { value: ['object'] } });
    expect(s.additionalProperties).toEqual({ boolean: false });
    expect(s.vendorExtension).toEqual([{ name: 'x-kubernetes-list-type', value: { yaml: '"map"' } }]);
    const [spec, size] = s.properties.additionalProperties;
    expect(spec.name).toBe('spec');
    expect(spec.value.additionalProperties.schema).toEqual({ type: { value: ['string'] }, maxLength: 63 });
    expect(size.value).toEqual({
      type: { value: ['integer', 'null'] },
      minimum: -1.5,
      enum: [{ yaml: '1' }, { yaml: '"two"' }],
    });
  });
});
