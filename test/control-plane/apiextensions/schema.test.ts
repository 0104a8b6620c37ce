import { describe, expect, it } from 'vitest';
import { compilePatterns } from '../../../src/control-plane/apiextensions/schema-patterns.js';
import { applyDefaults, prune } from '../../../src/control-plane/apiextensions/schema-prune-default.js';
import type { JsonSchema } from '../../../src/control-plane/apiextensions/schema-types.js';
import { validateValue } from '../../../src/control-plane/apiextensions/schema-validate.js';
import type { StatusCause } from '../../../src/kube/index.js';

function check(schema: JsonSchema, value: unknown, field = 'spec'): string[] {
  const causes: StatusCause[] = [];
  validateValue(schema, value, field, compilePatterns(schema), causes);
  return causes.map((c) => `${c.field}: ${c.message}`);
}

describe('schema validation', () => {
  it('reports type errors as upstream (the offending type is the invalid value)', () => {
    const s: JsonSchema = {
      type: 'object',
      properties: { size: { type: 'integer' }, on: { type: 'boolean' } },
    };
    expect(check(s, { size: 'big', on: 1 })).toEqual([
      'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
      'spec.on: Invalid value: "integer": spec.on in body must be of type boolean: "integer"',
    ]);
    expect(check({ type: 'number' }, 3)).toEqual([]);
    expect(check({ type: 'integer' }, 3.5)).toEqual([
      'spec: Invalid value: "number": spec in body must be of type integer: "number"',
    ]);
    expect(check({ type: 'string', nullable: true }, null)).toEqual([]);
    expect(check({ type: 'string' }, null)).toEqual([
      'spec: Invalid value: "null": spec in body must be of type string: "null"',
    ]);
  });

  it('checks formats, enum, pattern, bounds and lengths', () => {
    expect(check({ type: 'integer', format: 'int32' }, 2 ** 31)).toEqual([
      'spec: Invalid value: 2147483648: spec in body must be of type int32: "2147483648"',
    ]);
    expect(check({ type: 'integer', format: 'int64' }, 2 ** 53)).toHaveLength(1);
    expect(check({ type: 'string', format: 'date-time' }, '2024-02-30T10:00:00Z')).toEqual([
      'spec: Invalid value: "2024-02-30T10:00:00Z": spec in body must be of type date-time: "2024-02-30T10:00:00Z"',
    ]);
    expect(check({ type: 'string', format: 'date-time' }, '2024-02-29T10:00:00.5+01:00')).toEqual([]);
    expect(check({ type: 'string', format: 'no-such-format' }, 'x')).toEqual([]);
    expect(check({ type: 'string', enum: ['a', 'b'] }, 'c')).toEqual([
      'spec: Unsupported value: "c": supported values: "a", "b"',
    ]);
    expect(check({ type: 'string', pattern: '^[a-z]+$' }, 'A1')).toEqual([
      `spec: Invalid value: "A1": spec in body should match '^[a-z]+$'`,
    ]);
    expect(check({ type: 'integer', minimum: 1, maximum: 10 }, 11)).toEqual([
      'spec: Invalid value: 11: spec in body should be less than or equal to 10',
    ]);
    expect(check({ type: 'integer', minimum: 1, exclusiveMinimum: true }, 1)).toEqual([
      'spec: Invalid value: 1: spec in body should be greater than 1',
    ]);
    expect(check({ type: 'string', maxLength: 3 }, 'abcd')).toEqual([
      'spec: Too long: may not be more than 3 bytes',
    ]);
    expect(check({ type: 'string', minLength: 2 }, 'a')).toEqual([
      'spec: Invalid value: "a": spec in body should be at least 2 chars long',
    ]);
    expect(check({ type: 'array', items: { type: 'string' }, maxItems: 1 }, ['a', 'b'])).toEqual([
      'spec: Too many: 2: must have at most 1 items',
    ]);
    expect(check({ type: 'array', items: { type: 'string' }, minItems: 1 }, [])).toHaveLength(1);
  });

  it('checks required, int-or-string, embedded resources and list types', () => {
    const s: JsonSchema = {
      type: 'object',
      required: ['port', 'template'],
      properties: {
        port: { 'x-kubernetes-int-or-string': true },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
        tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } },
        },
      },
    };
    expect(check(s, {})).toEqual(['spec.port: Required value', 'spec.template: Required value']);
    expect(check(s, { port: 'http', template: { apiVersion: 'v1', kind: 'Pod' } })).toEqual([]);
    expect(
      check(s, { port: 80, template: {}, tags: ['a', 'a'], ports: [{ name: 'x' }, { name: 'x', port: 1 }] }),
    ).toEqual([
      'spec.template.apiVersion: Required value: must not be empty',
      'spec.template.kind: Required value: must not be empty',
      'spec.tags[1]: Duplicate value: "a"',
      'spec.ports[1]: Duplicate value: map[string]interface {}{"name":"x"}',
    ]);
    expect(check(s, { port: true, template: { apiVersion: 'v1', kind: 'Pod' } })).toEqual([
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    ]);
  });

  it('checks anyOf, oneOf and not', () => {
    const s: JsonSchema = { type: 'string', anyOf: [{ pattern: '^a' }, { pattern: '^b' }] };
    expect(check(s, 'a1')).toEqual([]);
    expect(check(s, 'c1')).toEqual([
      `spec: Invalid value: "c1": "spec" must validate at least one schema (anyOf)`,
    ]);
    expect(check({ type: 'string', not: { enum: ['x'] } }, 'x')).toHaveLength(1);
    expect(check({ type: 'integer', oneOf: [{ minimum: 0 }, { minimum: 5 }] }, 6)).toHaveLength(1);
  });

  it('matches a backtracking pattern in linear time and bounds nesting and causes', () => {
    const s: JsonSchema = { type: 'string', pattern: '^(a+)+$' };
    const started = Date.now();
    expect(check(s, `${'a'.repeat(5000)}b`)).toHaveLength(1);
    // A backtracking engine takes astronomically long here; RE2 answers at once.
    expect(Date.now() - started).toBeLessThan(2000);
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    const nested: JsonSchema = { 'x-kubernetes-preserve-unknown-fields': true };
    let schema: JsonSchema = { type: 'integer' };
    for (let i = 0; i < 200; i++) schema = { type: 'array', items: schema };
    expect(check(schema, deep).join()).toContain('nesting is deeper than 128 levels');
    expect(check(nested, deep)).toEqual([]);
    // 5,000 branches of allOf over 1,000 items: 5 million checks, stopped by the step budget.
    const wide: JsonSchema = {
      type: 'array',
      items: { type: 'integer', allOf: Array.from({ length: 5000 }, () => ({ minimum: 0 })) },
    };
    const budgetStart = Date.now();
    expect(
      check(
        wide,
        Array.from({ length: 1000 }, () => 1),
      ),
    ).toEqual([expect.stringContaining('took more than 2000000 steps')]);
    expect(Date.now() - budgetStart).toBeLessThan(5000);
    const many = check(
      { type: 'array', items: { type: 'string' } },
      Array.from({ length: 1000 }, () => 1),
    );
    expect(many).toHaveLength(100);
  });
});

describe('pruning and defaulting', () => {
  const s: JsonSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          size: { type: 'integer', default: 1 },
          mode: { type: 'string', default: 'slow' },
          opts: { type: 'object', default: {}, properties: { level: { type: 'integer', default: 3 } } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          labels: {
            type: 'object',
            additionalProperties: { type: 'object', properties: { v: { type: 'string' } } },
          },
          items: {
            type: 'array',
            items: { type: 'object', properties: { a: { type: 'string', default: 'x' } } },
          },
          maybe: { type: 'string', nullable: true, default: 'd' },
        },
      },
    },
  };

  it('drops undeclared fields and keeps preserved and additional ones', () => {
    const obj = {
      apiVersion: 'example.com/v1',
      kind: 'W',
      metadata: { name: 'w' },
      extra: 1,
      spec: {
        size: 2,
        junk: true,
        free: { any: { thing: 1 } },
        labels: { k: { v: 'a', w: 'b' } },
        items: [{ a: 'y', b: 1 }],
      },
    };
    expect(prune(s, obj).sort()).toEqual(['.extra', '.spec.items[0].b', '.spec.junk', '.spec.labels.k.w']);
    expect(obj).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'W',
      metadata: { name: 'w' },
      spec: { size: 2, free: { any: { thing: 1 } }, labels: { k: { v: 'a' } }, items: [{ a: 'y' }] },
    });
  });

  it('applies defaults, nested defaults and drops non-nullable nulls', () => {
    const obj: Record<string, unknown> = { spec: { size: null, items: [{}], maybe: null } };
    applyDefaults(s, obj);
    expect(obj.spec).toEqual({ size: 1, mode: 'slow', opts: { level: 3 }, items: [{ a: 'x' }], maybe: null });
  });
});
