import { describe, expect, it } from 'vitest';
import { compileRules, type RuleNode } from '../../../src/control-plane/apiextensions/cel-compile.js';
import {
  CelMeter,
  PER_CALL_LIMIT,
  REQUEST_BUDGET,
} from '../../../src/control-plane/apiextensions/cel-cost.js';
import { validateRules } from '../../../src/control-plane/apiextensions/cel-validate.js';
import { validateCrdRules } from '../../../src/control-plane/apiextensions/crd-validation.js';
import type { JsonSchema } from '../../../src/control-plane/apiextensions/schema-types.js';
import type { StatusCause } from '../../../src/kube/index.js';

function specSchema(spec: Record<string, unknown>): JsonSchema {
  return { type: 'object', properties: { spec: { type: 'object', ...spec } } } as JsonSchema;
}

function compile(schema: JsonSchema): RuleNode {
  const causes: StatusCause[] = [];
  const tree = compileRules(schema, 'schema', causes);
  expect(causes).toEqual([]);
  return tree as RuleNode;
}

function check(schema: JsonSchema, spec: unknown, oldSpec?: unknown, meter?: CelMeter): string[] {
  const obj = { apiVersion: 'x.example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec };
  const old = oldSpec === undefined ? undefined : { ...obj, spec: oldSpec };
  return validateRules(compile(schema), schema, obj, old, meter).map((c) => `${c.field}: ${c.message}`);
}

describe('CEL rule compilation', () => {
  it('reports syntax errors, undeclared names and bad fields with upstream paths', () => {
    const causes: StatusCause[] = [];
    compileRules(
      specSchema({
        'x-kubernetes-validations': [
          { rule: 'self.a >' },
          { rule: 'self.a == 1 ||\n  foo == 1' },
          { rule: 'self.a > 1', messageExpression: '"x" +' },
          { rule: 'self.a > 1', reason: 'Bogus' },
          { rule: 'self.a > 1', fieldPath: '.nope' },
          { rule: '' },
          { rule: 'self.a > 1', optionalOldSelf: true },
        ],
        properties: { a: { type: 'integer' } },
      }),
      'spec.versions[0].schema.openAPIV3Schema',
      causes,
    );
    const f = 'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations';
    expect(causes.map((c) => c.field)).toEqual([
      `${f}[0].rule`,
      `${f}[1].rule`,
      `${f}[2].messageExpression`,
      `${f}[3].reason`,
      `${f}[4].fieldPath`,
      `${f}[5].rule`,
      `${f}[6].optionalOldSelf`,
    ]);
    expect(causes[0]?.message).toMatch(
      /^Invalid value: "self.a >": compilation failed: ERROR: <input>:1:\d+: /,
    );
    expect(causes[1]?.message).toContain(
      "compilation failed: ERROR: <input>:2:3: undeclared reference to 'foo' (in container '')",
    );
    expect(causes[3]?.message).toContain('Unsupported value: "Bogus"');
    expect(causes[5]?.message).toBe('Required value');
  });

  it('on CRD update, reports only rule problems the stored CRD did not have (ratcheting)', () => {
    const withRule = (rule: string, label = '') => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'ws.x.example.com', ...(label ? { labels: { l: label } } : {}) },
      spec: {
        versions: [
          {
            name: 'v1',
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-validations': [{ rule }] } },
          },
        ],
      },
    });
    const stored = withRule('self.a >');
    expect(validateCrdRules(stored, undefined).map((c) => c.field)).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.x-kubernetes-validations[0].rule',
    ]);
    expect(validateCrdRules(withRule('self.a >', 'x'), stored)).toEqual([]);
    expect(validateCrdRules(withRule('self.b >'), stored)).toHaveLength(1);
    expect(validateCrdRules(withRule('true'), stored)).toEqual([]);
  });

  it('returns no tree for a schema without rules', () => {
    expect(compileRules(specSchema({ properties: { a: { type: 'string' } } }), 's', [])).toBeUndefined();
  });
});

describe('CEL rule evaluation', () => {
  const widget = specSchema({
    'x-kubernetes-validations': [
      { rule: 'self.replicas <= self.max', message: 'replicas must not exceed max' },
      { rule: 'self.ratio < 1.0' },
      {
        rule: "!has(self.name) || self.name.startsWith('w-')",
        fieldPath: '.name',
        reason: 'FieldValueForbidden',
      },
      {
        rule: 'self.tags.all(t, t.matches("^[a-z]+$"))',
        messageExpression: '"bad tags: " + self.tags.join(",")',
      },
      { rule: 'self.port == 80 || self.port == "http"' },
      { rule: 'self.labels.exists(k, k == "app") && size(self.labels) < 3' },
      { rule: 'self.tags.filter(t, t.size() > 1).map(t, t + "!").exists_one(t, t == "ab!")' },
      { rule: 'self.tags.isSorted() && [1, 2, 3].sum() == 6 && self.tags.indexOf("b") <= 1' },
    ],
    properties: {
      replicas: { type: 'integer' },
      max: { type: 'integer' },
      ratio: { type: 'number' },
      name: { type: 'string' },
      tags: { type: 'array', items: { type: 'string' } },
      port: { 'x-kubernetes-int-or-string': true },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
    },
  });
  const good = {
    replicas: 1,
    max: 2,
    ratio: 0.5,
    name: 'w-1',
    tags: ['ab', 'b'],
    port: 80,
    labels: { app: 'x' },
  };

  it('passes a good object: int vs double, int-or-string, maps, macros, strings, list library', () => {
    expect(check(widget, good)).toEqual([]);
    expect(check(widget, { ...good, port: 'http' })).toEqual([]);
  });

  it('reports each failing rule with its message, reason and fieldPath', () => {
    expect(check(widget, { ...good, replicas: 3, name: 'x', tags: ['ab', 'B'], ratio: 1 })).toEqual([
      'spec: Invalid value: "object": replicas must not exceed max',
      'spec: Invalid value: "object": failed rule: self.ratio < 1.0',
      "spec.name: Forbidden: failed rule: !has(self.name) || self.name.startsWith('w-')",
      'spec: Invalid value: "object": bad tags: ab,B',
      'spec: Invalid value: "object": failed rule: self.tags.isSorted() && [1, 2, 3].sum() == 6 && self.tags.indexOf("b") <= 1',
    ]);
  });

  it('turns a runtime error (no such key) into a field error naming the rule', () => {
    const { max: _m, ...noMax } = good;
    expect(check(widget, noMax)).toEqual([
      expect.stringMatching(
        /^spec: Invalid value: "object": .*max.* evaluating rule: replicas must not exceed max$/,
      ),
    ]);
  });

  it('runs transition rules only on update, with oldSelf', () => {
    const immutable = specSchema({
      properties: {
        id: {
          type: 'string',
          'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'id is immutable' }],
        },
        n: {
          type: 'integer',
          'x-kubernetes-validations': [{ rule: 'self >= oldSelf', reason: 'FieldValueInvalid' }],
        },
      },
    });
    expect(check(immutable, { id: 'a', n: 1 })).toEqual([]);
    expect(check(immutable, { id: 'a', n: 2 }, { id: 'a', n: 1 })).toEqual([]);
    expect(check(immutable, { id: 'b', n: 0 }, { id: 'a', n: 1 })).toEqual([
      'spec.id: Invalid value: "b": id is immutable',
      'spec.n: Invalid value: 0: failed rule: self >= oldSelf',
    ]);
  });

  it('runs optionalOldSelf rules on create too, with hasValue/value/orValue on oldSelf', () => {
    const schema = specSchema({
      properties: {
        n: {
          type: 'integer',
          'x-kubernetes-validations': [
            {
              rule: '!oldSelf.hasValue() || self >= oldSelf.value()',
              optionalOldSelf: true,
              message: 'n may only grow',
            },
            { rule: 'self <= oldSelf.orValue(5)', optionalOldSelf: true, message: 'n starts at most 5' },
          ],
        },
      },
    });
    expect(check(schema, { n: 3 })).toEqual([]);
    expect(check(schema, { n: 6 })).toEqual(['spec.n: Invalid value: 6: n starts at most 5']);
    expect(check(schema, { n: 2 }, { n: 3 })).toEqual(['spec.n: Invalid value: 2: n may only grow']);
  });

  it('does not re-check an unchanged value (ratcheting) and sees the root with metadata.name', () => {
    const root = {
      type: 'object',
      'x-kubernetes-validations': [{ rule: "self.metadata.name.startsWith('w') && self.spec.a > 0" }],
      properties: { spec: { type: 'object', properties: { a: { type: 'integer' } } } },
    } as JsonSchema;
    expect(check(root, { a: 1 })).toEqual([]);
    expect(check(root, { a: 0 })).toEqual([
      expect.stringContaining('<nil>: Invalid value: "object": failed rule:'),
    ]);
    expect(check(root, { a: 0 }, { a: 0 })).toEqual([]);
  });

  it('stops a nested all(all()) over 5,000 items at the per-call limit, or at the wall-clock backstop', () => {
    const schema = specSchema({
      'x-kubernetes-validations': [
        { rule: 'self.l.all(x, self.l.all(y, x + y >= 0))' },
        { rule: 'self.l.size() > 0' },
      ],
      properties: { l: { type: 'array', items: { type: 'integer' } } },
    });
    const l = Array.from({ length: 5000 }, (_, i) => i);
    const started = performance.now();
    // A long deadline, so that the unit limit answers however loaded the machine is.
    expect(check(schema, { l }, undefined, new CelMeter(REQUEST_BUDGET, PER_CALL_LIMIT, 60_000))).toEqual([
      'spec: Invalid value: "object": \'operation cancelled: actual cost limit exceeded\': no further validation rules will be run due to call cost exceeds limit for rule: self.l.all(x, self.l.all(y, x + y >= 0))',
    ]);
    // Loose bound: the limit is a unit count, the time only shows it stopped early (not 25M steps).
    expect(performance.now() - started).toBeLessThan(10_000);
    // The wall-clock backstop: a 20 ms deadline ends the same rule as out of budget.
    expect(check(schema, { l }, undefined, new CelMeter(REQUEST_BUDGET, PER_CALL_LIMIT, 20))).toEqual([
      'spec: Invalid value: "object": validation failed due to running out of cost budget, no further validation rules will be run',
    ]);
  });

  it('matches a backtracking-prone pattern in linear time (RE2)', () => {
    const schema = specSchema({
      'x-kubernetes-validations': [{ rule: "self.s.matches('^(a+)+$')", message: 'only a' }],
      properties: { s: { type: 'string' } },
    });
    const started = performance.now();
    // 30 characters already take a backtracking engine minutes; RE2 scans 100,000 at once.
    expect(check(schema, { s: `${'a'.repeat(100_000)}!` })).toEqual([
      'spec: Invalid value: "object": only a',
    ]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('shares one budget across all rules of a write', () => {
    const schema = specSchema({
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            'x-kubernetes-validations': [{ rule: 'self.l.all(x, x >= 0)' }],
            properties: { l: { type: 'array', items: { type: 'integer' } } },
          },
        },
      },
    });
    const l = Array.from({ length: 1000 }, (_, i) => i);
    const causes = validateRules(
      compile(schema),
      schema,
      {
        apiVersion: 'v1',
        kind: 'W',
        metadata: {},
        spec: { items: Array.from({ length: 20 }, () => ({ l })) },
      },
      undefined,
      new CelMeter(5_000),
    );
    expect(causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        // Each item costs 2,002 units: 1,002 to convert, 1,000 to iterate; the third goes over 5,000.
        field: 'spec.items[2]',
        message:
          'Invalid value: "object": validation failed due to running out of cost budget, no further validation rules will be run',
      },
    ]);
  });
});
