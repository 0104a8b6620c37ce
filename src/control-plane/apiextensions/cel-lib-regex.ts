import { CelScalar, celMethod, listType } from '@bufbuild/cel';
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
