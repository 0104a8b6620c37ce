import { CelScalar, celMethod, listType, type parse } from '@bufbuild/cel';
import { RE2JS } from 're2js';
import { MeteredList } from './cel-cost.js';
import { charge, chargeText, currentMeter } from './cel-lib-meter.js';

/**
 * The Kubernetes regex library (k8s.io/apiserver/pkg/cel/library/regex.go): `find` and `findAll`
 * on strings, RE2 syntax, Go's FindString/FindAllString semantics (an empty match right after
 * the previous match is skipped). Uses re2js for its matcher positions (@bufbuild/re2, behind
 * `matches`, only answers yes or no); both are ports of RE2.
 */

const finders = new Map<string, RE2JS>();

function compile(pattern: string): RE2JS {
  let re = finders.get(pattern);
  if (!re) {
    chargeText(pattern);
    try {
      re = RE2JS.compile(pattern);
    } catch (e) {
      throw new Error(`Illegal regex: ${(e as Error).message}`);
    }
    if (finders.size >= 256) finders.delete(finders.keys().next().value as string);
    finders.set(pattern, re);
  }
  return re;
}

/** Up to `n` (all when negative) leftmost non-overlapping matches, as Go's FindAllString. */
export function findAll(text: string, pattern: string, n: number): string[] {
  const re = compile(pattern);
  chargeText(text);
  const out: string[] = [];
  if (n === 0) return out;
  const m = re.matcher(text);
  let pos = 0;
  let prevEnd = -1;
  while (pos <= text.length && (n < 0 || out.length < n)) {
    if (!m.find(pos)) break;
    const start = m.start();
    const end = m.end();
    charge(1);
    if (end === start) {
      if (end !== prevEnd) out.push('');
      // Step over one code point past an empty match.
      const cp = text.codePointAt(end);
      pos = end + (cp !== undefined && cp > 0xffff ? 2 : 1);
    } else {
      out.push(text.slice(start, end));
      pos = end;
    }
    prevEnd = end;
  }
  return out;
}

const LIST_STRING = listType(CelScalar.STRING);

function list(items: string[]): MeteredList<string> {
  const out = new MeteredList<string>();
  out.push(...items);
  const meter = currentMeter();
  if (meter) out.meter = meter;
  return out;
}

export const regexLibrary = [
  celMethod('find', CelScalar.STRING, [CelScalar.STRING], CelScalar.STRING, function (re) {
    return findAll(this, re, 1)[0] ?? '';
  }),
  celMethod('findAll', CelScalar.STRING, [CelScalar.STRING], LIST_STRING, function (re) {
    return list(findAll(this, re, -1));
  }),
  celMethod('findAll', CelScalar.STRING, [CelScalar.STRING, CelScalar.INT], LIST_STRING, function (re, n) {
    return list(findAll(this, re, n < 0n ? -1 : Number(n > 1_000_000n ? 1_000_000n : n)));
  }),
];

type Expr = ReturnType<typeof parse>['expr'];
const REGEX_FUNCTIONS = new Set(['matches', 'find', 'findAll']);

/**
 * The first literal pattern of `matches`/`find`/`findAll` in `expr` that does not compile, as
 * upstream reports it when the CRD is written (its regex optimisation compiles literal patterns
 * when the program is built): `program instantiation failed: error parsing regexp: ...`.
 */
export function literalRegexError(expr: Expr | undefined, depth = 0): string | undefined {
  if (!expr || depth > 200) return undefined;
  const k = expr.exprKind;
  const children: (Expr | undefined)[] = [];
  switch (k.case) {
    case 'callExpr': {
      const call = k.value;
      const pattern = REGEX_FUNCTIONS.has(call.function) ? call.args[call.target ? 0 : 1] : undefined;
      const c = pattern?.exprKind;
      if (c?.case === 'constExpr' && c.value.constantKind.case === 'stringValue') {
        try {
          compile(c.value.constantKind.value);
        } catch (e) {
          return `program instantiation failed: ${(e as Error).message.replace(/^Illegal regex: /, '')}`;
        }
      }
      children.push(call.target, ...call.args);
      break;
    }
    case 'selectExpr':
      children.push(k.value.operand);
      break;
    case 'listExpr':
      children.push(...k.value.elements);
      break;
    case 'structExpr':
      for (const e of k.value.entries)
        children.push(e.keyKind.case === 'mapKey' ? e.keyKind.value : undefined, e.value);
      break;
    case 'comprehensionExpr': {
      const c = k.value;
      children.push(c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result);
      break;
    }
    default:
      break;
  }
  for (const child of children) {
    const err = literalRegexError(child, depth + 1);
    if (err) return err;
  }
  return undefined;
}
