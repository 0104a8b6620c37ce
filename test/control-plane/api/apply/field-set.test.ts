import { describe, expect, it } from 'vitest';
import { ApplyError } from '../../../../src/control-plane/api/apply/errors.js';
import {
  decodeFieldsV1,
  difference,
  encodeFieldsV1,
  intersection,
  pathString,
  union,
} from '../../../../src/control-plane/api/apply/field-set.js';
import { toFieldSet } from '../../../../src/control-plane/api/apply/object-fields.js';
import { builtinType } from '../../../../src/control-plane/api/apply/type-node.js';
import { crType } from './schemas.js';

const deployment = {
  metadata: { labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      spec: {
        containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], args: ['-a'] }],
      },
    },
  },
};

describe('field sets in the FieldsV1 encoding', () => {
  it('encodes a Deployment by the built-in merge keys (atomic selector and args, keyed containers and ports)', () => {
    expect(encodeFieldsV1(toFieldSet(deployment, builtinType))).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': {
                '.': {},
                'f:args': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
  });

  it('round-trips through decode and prints paths as upstream does', () => {
    const set = toFieldSet(deployment, builtinType);
    const again = decodeFieldsV1(encodeFieldsV1(set));
    expect(encodeFieldsV1(again)).toEqual(encodeFieldsV1(set));
    expect(again.paths().map(pathString)).toContain('.spec.template.spec.containers[name="web"].image');
    expect(pathString(['f:spec', 'f:colors', 'v:"red"'])).toBe('.spec.colors[="red"]');
  });

  it('follows a CRD schema: list-map keys, sets, atomic maps and lists', () => {
    const type = crType(['port', 'protocol']);
    const set = toFieldSet(
      { spec: { ports: [{ protocol: 'TCP', port: 80 }], tags: ['a', 'b'], plain: ['x'], sel: { a: '1' } } },
      type,
    );
    expect(encodeFieldsV1(set)).toEqual({
      'f:spec': {
        'f:plain': {},
        'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:protocol': {} } },
        'f:sel': {},
        'f:tags': { 'v:"a"': {}, 'v:"b"': {} },
      },
    });
  });

  it('unions, intersects and subtracts', () => {
    const a = toFieldSet({ a: 1, b: { c: 2 } }, builtinType);
    const b = toFieldSet({ b: { c: 3, d: 4 } }, builtinType);
    expect(encodeFieldsV1(union(a, b))).toEqual({ 'f:a': {}, 'f:b': { 'f:c': {}, 'f:d': {} } });
    expect(encodeFieldsV1(intersection(a, b))).toEqual({ 'f:b': { 'f:c': {} } });
    expect(encodeFieldsV1(difference(a, b))).toEqual({ 'f:a': {} });
  });

  it('refuses duplicate keys and items without their key as 422', () => {
    const dup = { spec: { containers: [{ name: 'a' }, { name: 'a' }] } };
    expect(() => toFieldSet(dup, builtinType)).toThrow(ApplyError);
    expect(() => toFieldSet(dup, builtinType)).toThrow('duplicate entries for key {"name":"a"}');
    expect(() => toFieldSet({ spec: { containers: [{ image: 'x' }] } }, builtinType)).toThrow(
      'has no value for the list\'s key field "name"',
    );
  });

  it('owns a stored list whose items lack their key or repeat it as a whole (non-strict)', () => {
    // `addresses` is keyed by `type` (a Node's); these items have none, or are strings.
    const noKey = { status: { addresses: [{ ip: '1' }, { ip: '1' }] } };
    expect(encodeFieldsV1(toFieldSet(noKey, builtinType, false))).toEqual({
      'f:status': { 'f:addresses': {} },
    });
    const strings = { endpoints: [{ addresses: ['10.0.0.1'] }], x: { addresses: ['10.0.0.1'] } };
    expect(encodeFieldsV1(toFieldSet(strings, builtinType, false))).toEqual({
      'f:endpoints': {},
      'f:x': { 'f:addresses': {} },
    });
    expect(() => toFieldSet(noKey, builtinType)).toThrow(ApplyError);
    const dup = { spec: { containers: [{ name: 'a' }, { name: 'a' }] } };
    expect(encodeFieldsV1(toFieldSet(dup, builtinType, false))).toEqual({ 'f:spec': { 'f:containers': {} } });
  });

  it('refuses hostile input with errors, not crashes: deep objects and bad fieldsV1', () => {
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 500; i++) {
      const next = {};
      deep.x = next;
      deep = next;
    }
    expect(() => toFieldSet(top, builtinType)).toThrow(/nested deeper than 100/);
    expect(() => decodeFieldsV1({ 'x:bad': {} })).toThrow('invalid path element "x:bad"');
    expect(() => decodeFieldsV1({ 'k:{not json': {} })).toThrow('invalid path element');
    expect(() => decodeFieldsV1('nope')).toThrow('fieldsV1 must be a JSON object');
  });

  it('handles a list of 30,000 keyed items (a quadratic walk would not finish)', () => {
    const containers = Array.from({ length: 30_000 }, (_, i) => ({ name: `c${i}`, image: 'x' }));
    const set = toFieldSet({ spec: { containers } }, builtinType);
    expect(set.at(['f:spec', 'f:containers'])?.children.size).toBe(30_000);
  });
});
