import { isCelError } from '@bufbuild/cel';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import type { CompiledRule, RuleNode } from './cel-compile.js';
import { CelCostError, CelMeter } from './cel-cost.js';
import { withMeter } from './cel-env.js';
import { toCel } from './cel-values.js';
import { isObject, type JsonSchema, MAX_VALUE_DEPTH } from './schema-types.js';
import { show } from './schema-validate.js';

const OUT_OF_BUDGET =
  'validation failed due to running out of cost budget, no further validation rules will be run';
const MAX_MESSAGE = 5 * 1024;

interface Run {
  readonly meter: CelMeter;
  readonly causes: StatusCause[];
  stopped: boolean;
}

function ruleString(r: CompiledRule): string {
  return r.message ?? r.rule.trim();
}

function join(field: string, suffix: string): string {
  if (!field) return suffix.startsWith('.') ? suffix.slice(1) : suffix;
  return `${field}${suffix}`;
}

/** A value as upstream's field.Invalid prints it for a rule: "object"/"array" for composites. */
function shownValue(schema: JsonSchema, value: unknown): string {
  if (schema.type === 'object' || schema.type === 'array') return `"${schema.type}"`;
  return show(value);
}

function failure(
  schema: JsonSchema,
  value: unknown,
  field: string,
  detail: string,
  reason?: string,
): StatusCause {
  switch (reason) {
    case 'FieldValueForbidden':
      return { reason, field, message: `Forbidden: ${detail}` };
    case 'FieldValueRequired':
      return { reason, field, message: `Required value: ${detail}` };
    case 'FieldValueDuplicate':
      return { reason, field, message: `Duplicate value: ${shownValue(schema, value)}` };
    default:
      return {
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: ${shownValue(schema, value)}: ${detail}`,
      };
  }
}

function invalid(schema: JsonSchema, field: string, detail: string): StatusCause {
  return failure(schema, undefined, field, detail);
}

/** Evaluates one rule; returns false when no further rule may run. */
function runRule(
  run: Run,
  rule: CompiledRule,
  schema: JsonSchema,
  value: unknown,
  vars: { self: unknown; oldSelf?: unknown },
  field: string,
): boolean {
  const f = field || '<nil>';
  if (run.meter.exhausted) {
    run.causes.push(invalid(schema, f, OUT_OF_BUDGET));
    return false;
  }
  run.meter.startCall();
  const result = withMeter(run.meter, () => rule.program(vars));
  if (isCelError(result) || typeof result !== 'boolean') {
    if (run.meter.exceeded === 'call') {
      run.causes.push(
        invalid(
          schema,
          f,
          `'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: ${ruleString(rule)}`,
        ),
      );
      return false;
    }
    if (run.meter.exceeded === 'request') {
      run.causes.push(invalid(schema, f, OUT_OF_BUDGET));
      return false;
    }
    const why = isCelError(result) ? result.message : `rule did not evaluate to a bool but ${typeof result}`;
    run.causes.push(invalid(schema, f, `${why} evaluating rule: ${ruleString(rule)}`));
    return true;
  }
  if (result) return true;
  let detail = rule.message ?? `failed rule: ${rule.rule.trim()}`;
  if (rule.messageExpression) {
    run.meter.startCall();
    const m = withMeter(run.meter, () => rule.messageExpression?.(vars));
    if (run.meter.exceeded) {
      run.causes.push(invalid(schema, f, OUT_OF_BUDGET));
      return false;
    }
    if (typeof m === 'string' && m.trim() && !m.includes('\n') && m.length <= MAX_MESSAGE) detail = m.trim();
  }
  run.causes.push(failure(schema, value, join(field, rule.fieldPath ?? '') || '<nil>', detail, rule.reason));
  return true;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function visit(
  run: Run,
  node: RuleNode,
  schema: JsonSchema,
  value: unknown,
  old: unknown,
  hasOld: boolean,
  field: string,
  depth: number,
  root?: UntypedObject,
): void {
  if (run.stopped || value === null || value === undefined || depth > MAX_VALUE_DEPTH) return;
  if (node.rules.length) {
    // Ratcheting (as CRDValidationRatcheting): an unchanged value keeps passing what it passed before.
    const unchanged = hasOld && sameJson(value, old);
    let self: unknown;
    let oldSelf: unknown;
    run.meter.startCall();
    try {
      // Converting charges one unit per value (rules at many levels convert the same data again).
      self = toCel(schema, value, run.meter);
      oldSelf = hasOld ? toCel(schema, old, run.meter) : undefined;
    } catch (e) {
      if (!(e instanceof CelCostError)) throw e;
      run.causes.push(invalid(schema, field || '<nil>', OUT_OF_BUDGET));
      run.stopped = true;
      return;
    }
    if (root) {
      const meta = (o: unknown) => (isObject(o) && isObject(o.metadata) ? o.metadata : {});
      const withMeta = (m: unknown, o: unknown) => {
        const { name, generateName } = meta(o);
        (m as Map<string, unknown>).set(
          'metadata',
          new Map(Object.entries({ name, generateName }).filter(([, v]) => v !== undefined)),
        );
        return m;
      };
      self = withMeta(self, root);
      if (hasOld) oldSelf = withMeta(oldSelf, root);
    }
    for (const rule of node.rules) {
      if (rule.transition && !hasOld && !rule.optionalOldSelf) continue;
      if (unchanged && !rule.transition) continue;
      const vars = rule.transition ? { self, oldSelf: hasOld ? oldSelf : null } : { self };
      if (!runRule(run, rule, schema, value, vars, field)) {
        run.stopped = true;
        return;
      }
    }
  }
  if (Array.isArray(value)) {
    if (node.items && schema.items) visitItems(run, node.items, schema, value, old, hasOld, field, depth);
    return;
  }
  if (!isObject(value)) return;
  const oldObj = hasOld && isObject(old) ? old : undefined;
  for (const [name, child] of node.properties) {
    const sub = schema.properties?.[name];
    if (sub)
      visit(
        run,
        child,
        sub,
        value[name],
        oldObj?.[name],
        oldObj !== undefined && name in oldObj,
        join(field, `.${name}`),
        depth + 1,
      );
  }
  const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
  if (node.additionalProperties && extra)
    for (const [k, v] of Object.entries(value))
      visit(
        run,
        node.additionalProperties,
        extra,
        v,
        oldObj?.[k],
        oldObj !== undefined && k in oldObj,
        `${field}[${k}]`,
        depth + 1,
      );
}

/** Items of a list: old items correlate only for `x-kubernetes-list-type: map` (by their keys). */
function visitItems(
  run: Run,
  node: RuleNode,
  schema: JsonSchema,
  value: unknown[],
  old: unknown,
  hasOld: boolean,
  field: string,
  depth: number,
): void {
  const items = schema.items as JsonSchema;
  const keys =
    schema['x-kubernetes-list-type'] === 'map' ? (schema['x-kubernetes-list-map-keys'] ?? []) : undefined;
  const keyOf = (v: unknown) => (isObject(v) && keys ? JSON.stringify(keys.map((k) => v[k])) : undefined);
  const olds = new Map<string, unknown>();
  if (keys && hasOld && Array.isArray(old)) for (const o of old) olds.set(keyOf(o) as string, o);
  for (const [i, v] of value.entries()) {
    if (run.stopped) return;
    const k = keyOf(v);
    const o = k !== undefined ? olds.get(k) : undefined;
    visit(run, node, items, v, o, o !== undefined, `${field}[${i}]`, depth + 1);
  }
}

/**
 * Runs the CRD's compiled rules over a custom resource as kube-apiserver does on a write: `self`
 * is each node's value (pruned and defaulted), `oldSelf` the stored value on update, transition
 * rules only where an old value exists, unchanged values not re-checked (ratcheting). All rules of
 * one write share one cost budget; a rule over its per-call limit stops the rest.
 */
export function validateRules(
  tree: RuleNode,
  schema: JsonSchema,
  obj: UntypedObject,
  old: UntypedObject | undefined,
  meter = new CelMeter(),
): StatusCause[] {
  const run: Run = { meter, causes: [], stopped: false };
  const strip = (o: UntypedObject) => {
    const { metadata: _m, ...rest } = o;
    return rest;
  };
  const body = strip(obj);
  const oldBody = old ? strip(old) : undefined;
  visit(run, tree, schema, body, oldBody, old !== undefined, '', 0, obj);
  return run.causes;
}
