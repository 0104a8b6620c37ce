import { type CelResult, parse, plan } from '@bufbuild/cel';
import type { StatusCause } from '../../kube/index.js';
import { QUALIFIED_FUNCTIONS as QUALIFIED, ruleEnv } from './cel-env.js';
import { literalRegexError } from './cel-lib-regex.js';
import { isObject, type JsonSchema, MAX_SCHEMA_DEPTH } from './schema-types.js';
import { show } from './schema-validate.js';

/** A compiled rule's evaluation: self and oldSelf bound, a value or a CelError back. */
export type RuleProgram = (vars: { self: unknown; oldSelf?: unknown }) => CelResult;

/** One compiled `x-kubernetes-validations` entry. */
export interface CompiledRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: RuleProgram;
  readonly reason?: string;
  /** The rule's fieldPath as a suffix of the node's field path (`.a.b`, `[key]`). */
  readonly fieldPath?: string;
  /** Refers to oldSelf: only evaluated on update, when the node had an old value. */
  readonly transition: boolean;
  readonly optionalOldSelf: boolean;
  readonly program: RuleProgram;
}

/** The schema nodes that hold rules, with the paths to reach them (nodes without rules below are dropped). */
export interface RuleNode {
  readonly rules: readonly CompiledRule[];
  readonly properties: ReadonlyMap<string, RuleNode>;
  readonly additionalProperties?: RuleNode;
  readonly items?: RuleNode;
}

const REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'];
const SCOPE = new Set(['self', 'oldSelf']);

type Expr = ReturnType<typeof parse>['expr'];

/** Names the expression refers to outside its own comprehension variables (for undeclared references and oldSelf). */
function freeNames(
  expr: Expr | undefined,
  bound: ReadonlySet<string>,
  out: Map<string, bigint>,
  depth = 0,
): void {
  if (!expr || depth > 200) return;
  const k = expr.exprKind;
  switch (k.case) {
    case 'identExpr':
      if (!bound.has(k.value.name) && !out.has(k.value.name)) out.set(k.value.name, expr.id);
      return;
    case 'selectExpr':
      freeNames(k.value.operand, bound, out, depth + 1);
      return;
    case 'callExpr': {
      const t = k.value.target?.exprKind;
      // `ip.isCanonical(s)`, `format.dns1123Label()`: a namespaced function, not a variable.
      const qualified = t?.case === 'identExpr' && QUALIFIED.has(`${t.value.name}.${k.value.function}`);
      if (!qualified) freeNames(k.value.target, bound, out, depth + 1);
      for (const a of k.value.args) freeNames(a, bound, out, depth + 1);
      return;
    }
    case 'listExpr':
      for (const e of k.value.elements) freeNames(e, bound, out, depth + 1);
      return;
    case 'structExpr':
      for (const e of k.value.entries) {
        if (e.keyKind.case === 'mapKey') freeNames(e.keyKind.value, bound, out, depth + 1);
        freeNames(e.value, bound, out, depth + 1);
      }
      return;
    case 'comprehensionExpr': {
      const c = k.value;
      freeNames(c.iterRange, bound, out, depth + 1);
      freeNames(c.accuInit, bound, out, depth + 1);
      const inner = new Set([...bound, c.iterVar, c.accuVar]);
      for (const e of [c.loopCondition, c.loopStep, c.result]) freeNames(e, inner, out, depth + 1);
      return;
    }
    default:
      return;
  }
}

/** `<input>:line:column` of an expression node, as CEL's errors print positions (1-based). */
function position(source: string, parsed: ReturnType<typeof parse>, id: bigint): string {
  const offset = Number(parsed.sourceInfo?.positions[Number(id)] ?? 0);
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  return `<input>:${line}:${offset - before.lastIndexOf('\n')}`;
}

/** Parses and plans `source`; the names it uses freely, or the compile error upstream-style. */
function compileExpr(source: string): { program: RuleProgram; names: ReadonlyMap<string, bigint> } | string {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (e) {
    return `compilation failed: ERROR: ${(e as Error).message}`;
  }
  const names = new Map<string, bigint>();
  freeNames(parsed.expr, new Set(), names);
  for (const [name, id] of names)
    if (!SCOPE.has(name))
      return `compilation failed: ERROR: ${position(source, parsed, id)}: undeclared reference to '${name}' (in container '')`;
  const badRegex = literalRegexError(parsed.expr);
  if (badRegex) return badRegex;
  try {
    return { program: plan(ruleEnv, parsed) as RuleProgram, names };
  } catch (e) {
    return `compilation failed: ERROR: ${(e as Error).message}`;
  }
}

const FIELD_PATH = /^(\.[A-Za-z_][A-Za-z0-9_-]*|\['(?:[^'\\]|\\.)*'\])+$/;

/** Checks a rule's fieldPath against the schema; the path suffix, or an error detail. */
function resolveFieldPath(path: string, schema: JsonSchema): string | { error: string } {
  if (!FIELD_PATH.test(path)) return { error: 'fieldPath must be a valid path' };
  let s: JsonSchema | undefined = schema;
  let out = '';
  for (const m of path.matchAll(/\.([A-Za-z0-9_-]+)|\['((?:[^'\\]|\\.)*)'\]/g)) {
    const name = (m[1] ?? m[2]?.replace(/\\(.)/g, '$1')) as string;
    if (s?.properties?.[name]) {
      s = s.properties[name];
      out += `.${name}`;
    } else if (isObject(s?.additionalProperties)) {
      s = s.additionalProperties;
      out += `[${name}]`;
    } else return { error: 'fieldPath must be a valid path: does not refer to a valid field' };
  }
  return out;
}

function compileRule(
  raw: unknown,
  schema: JsonSchema,
  field: string,
  causes: StatusCause[],
): CompiledRule | undefined {
  if (!isObject(raw)) {
    causes.push({
      reason: 'FieldValueInvalid',
      field,
      message: `Invalid value: ${show(raw)}: must be an object`,
    });
    return undefined;
  }
  const bad = (f: string, v: unknown, detail: string) =>
    causes.push({
      reason: 'FieldValueInvalid',
      field: `${field}.${f}`,
      message: `Invalid value: ${show(v)}: ${detail}`,
    });
  if (typeof raw.rule !== 'string' || raw.rule.trim() === '') {
    causes.push({ reason: 'FieldValueRequired', field: `${field}.rule`, message: 'Required value' });
    return undefined;
  }
  const before = causes.length;
  const compiled = compileExpr(raw.rule);
  if (typeof compiled === 'string') bad('rule', raw.rule, compiled);
  let messageExpression: RuleProgram | undefined;
  if (raw.messageExpression !== undefined) {
    const m =
      typeof raw.messageExpression === 'string' ? compileExpr(raw.messageExpression) : 'must be a string';
    if (typeof m === 'string') bad('messageExpression', raw.messageExpression, m);
    else messageExpression = m.program;
  }
  if (raw.message !== undefined && (typeof raw.message !== 'string' || raw.message.includes('\n')))
    bad('message', raw.message, 'message must not contain line breaks');
  if (raw.reason !== undefined && !REASONS.includes(String(raw.reason)))
    causes.push({
      reason: 'FieldValueNotSupported',
      field: `${field}.reason`,
      message: `Unsupported value: ${show(raw.reason)}: supported values: ${REASONS.map((r) => `"${r}"`).join(', ')}`,
    });
  let fieldPath: string | undefined;
  if (raw.fieldPath !== undefined) {
    const p =
      typeof raw.fieldPath === 'string'
        ? resolveFieldPath(raw.fieldPath, schema)
        : { error: 'must be a string' };
    if (typeof p === 'string') fieldPath = p;
    else bad('fieldPath', raw.fieldPath, p.error);
  }
  const optionalOldSelf = raw.optionalOldSelf === true;
  if (typeof compiled === 'string' || causes.length > before) return undefined;
  const transition = compiled.names.has('oldSelf');
  if (optionalOldSelf && !transition)
    bad('optionalOldSelf', true, 'may not be set if oldSelf is not referenced in rule');
  return {
    rule: raw.rule,
    ...(typeof raw.message === 'string' && raw.message.trim() ? { message: raw.message.trim() } : {}),
    ...(messageExpression ? { messageExpression } : {}),
    ...(typeof raw.reason === 'string' ? { reason: raw.reason } : {}),
    ...(fieldPath ? { fieldPath } : {}),
    transition,
    optionalOldSelf,
    program: compiled.program,
  };
}

/**
 * Compiles every `x-kubernetes-validations` rule of `schema` (a structural openAPIV3Schema) and
 * returns the tree of nodes that carry rules, or undefined when there are none. Problems go to
 * `causes` with upstream's paths (`<field>.properties[spec].x-kubernetes-validations[0].rule`).
 */
export function compileRules(
  schema: JsonSchema,
  field: string,
  causes: StatusCause[],
  depth = 0,
): RuleNode | undefined {
  if (!isObject(schema) || depth > MAX_SCHEMA_DEPTH) return undefined;
  const rules: CompiledRule[] = [];
  const raw = schema['x-kubernetes-validations'];
  if (Array.isArray(raw))
    for (const [i, r] of raw.entries()) {
      const c = compileRule(r, schema, `${field}.x-kubernetes-validations[${i}]`, causes);
      if (c) rules.push(c);
    }
  const properties = new Map<string, RuleNode>();
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    const node = compileRules(sub, `${field}.properties[${name}]`, causes, depth + 1);
    if (node) properties.set(name, node);
  }
  const additionalProperties = isObject(schema.additionalProperties)
    ? compileRules(schema.additionalProperties, `${field}.additionalProperties`, causes, depth + 1)
    : undefined;
  const items = isObject(schema.items)
    ? compileRules(schema.items, `${field}.items`, causes, depth + 1)
    : undefined;
  if (!rules.length && !properties.size && !additionalProperties && !items) return undefined;
  return {
    rules,
    properties,
    ...(additionalProperties ? { additionalProperties } : {}),
    ...(items ? { items } : {}),
  };
}
