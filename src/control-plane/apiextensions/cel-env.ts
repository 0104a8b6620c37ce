import {
  type CelEnv,
  type CelList,
  CelScalar,
  type CelValue,
  celEnv,
  celFunc,
  celMethod,
  listType,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { MeteredList } from './cel-cost.js';
import { FORMAT_FUNCTIONS, formatLibrary } from './cel-lib-format.js';
import { charge, currentMeter, re2, stringOfLibraryValue } from './cel-lib-meter.js';
import { netLibrary } from './cel-lib-net.js';
import { quantityLibrary } from './cel-lib-quantity.js';
import { regexLibrary } from './cel-lib-regex.js';
import { SETS_FUNCTIONS, setsLibrary } from './cel-lib-sets.js';
import { urlLibrary } from './cel-lib-url.js';

export { withMeter } from './cel-lib-meter.js';

const LIST = listType(CelScalar.DYN);

function items(list: CelList): CelValue[] {
  const out: CelValue[] = [];
  for (const v of list) out.push(v);
  return out;
}

function compare(a: CelValue, b: CelValue): number {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number'))
    return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error(`no such overload: comparing ${typeof a} and ${typeof b}`);
}

function equal(a: CelValue, b: CelValue): boolean {
  return typeof a === typeof b || (typeof a !== 'object' && typeof b !== 'object') ? a === b : false;
}

/** The Kubernetes list library (k8s.io/apiserver/pkg/cel/library/lists.go) over scalar items. */
const kubernetesLists = [
  celMethod('isSorted', LIST, [], CelScalar.BOOL, function () {
    const xs = items(this);
    for (let i = 1; i < xs.length; i++)
      if (compare(xs[i - 1] as CelValue, xs[i] as CelValue) > 0) return false;
    return true;
  }),
  celMethod('sum', LIST, [], CelScalar.DYN, function () {
    const xs = items(this);
    if (xs.length === 0) return 0n;
    let total = xs[0] as bigint | number;
    for (const x of xs.slice(1)) total = (total as number) + (x as number);
    return total;
  }),
  celMethod('min', LIST, [], CelScalar.DYN, function () {
    const xs = items(this);
    if (xs.length === 0) throw new Error('min called on empty list');
    return xs.reduce((a, b) => (compare(a, b) <= 0 ? a : b));
  }),
  celMethod('max', LIST, [], CelScalar.DYN, function () {
    const xs = items(this);
    if (xs.length === 0) throw new Error('max called on empty list');
    return xs.reduce((a, b) => (compare(a, b) >= 0 ? a : b));
  }),
  celMethod('indexOf', LIST, [CelScalar.DYN], CelScalar.INT, function (x) {
    return BigInt(items(this).findIndex((v) => equal(v, x)));
  }),
  celMethod('lastIndexOf', LIST, [CelScalar.DYN], CelScalar.INT, function (x) {
    return BigInt(items(this).findLastIndex((v) => equal(v, x)));
  }),
];

/**
 * `a + b` on lists materialises the result (the library's lazy concatenation nests one level per
 * step, so `map`/`filter` over thousands of items overflowed the stack), charging its length.
 */
const meteredConcat = celFunc('_+_', [LIST, LIST], LIST, (a, b) => {
  charge(a.size + b.size);
  const out = new MeteredList<CelValue>();
  for (const list of [a, b]) for (let i = 0; i < list.size; i++) out.push(list.get(i) as CelValue);
  const meter = currentMeter();
  if (meter) out.meter = meter;
  return out;
});

/**
 * `optionalOldSelf` rules see oldSelf as an optional in upstream; this library has no optional
 * type, so oldSelf is the old value or null and these stand in for the optional's methods.
 */
const optionalMethods = [
  celMethod('hasValue', CelScalar.DYN, [], CelScalar.BOOL, function () {
    return this !== null;
  }),
  celMethod('value', CelScalar.DYN, [], CelScalar.DYN, function () {
    if (this === null) throw new Error('optional.none() dereference');
    return this;
  }),
  celMethod('orValue', CelScalar.DYN, [CelScalar.DYN], CelScalar.DYN, function (other) {
    return this === null ? other : this;
  }),
];

/** Go's strings.SplitN: at most `n` parts (all when negative, none when 0), by code point for ''. */
function splitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const all = sep === '' ? Array.from(s) : s.split(sep);
  if (n < 0 || all.length <= n) return all;
  const head = all.slice(0, n - 1);
  return [...head, all.slice(n - 1).join(sep)];
}

/**
 * `s.split(sep)` / `s.split(sep, n)` as cel-go's strings extension (Go's SplitN; the JS extension
 * truncated at n instead), and the list is metered: the
 * library turns an error thrown inside a function (a spent budget too) into an error value that
 * `all`/`exists` may absorb, so only a throw from iterating a metered list ends a runaway loop.
 */
function meteredSplit(this: string, sep: string, n?: bigint): MeteredList<string> {
  const parts = splitN(this, sep, n === undefined ? -1 : Number(n));
  charge(1 + parts.length);
  const out = new MeteredList<string>();
  for (const p of parts) out.push(p);
  const meter = currentMeter();
  if (meter) out.meter = meter;
  return out;
}

const LIST_STRING = listType(CelScalar.STRING);
const splits = [
  celMethod('split', CelScalar.STRING, [CelScalar.STRING], LIST_STRING, function (sep) {
    return meteredSplit.call(this, sep);
  }),
  celMethod('split', CelScalar.STRING, [CelScalar.STRING, CelScalar.INT], LIST_STRING, function (sep, n) {
    return meteredSplit.call(this, sep, n);
  }),
];

/** Namespaced functions (`ip.isCanonical`): their first part is not a variable. */
export const QUALIFIED_FUNCTIONS: ReadonlySet<string> = new Set([
  'ip.isCanonical',
  ...FORMAT_FUNCTIONS,
  ...SETS_FUNCTIONS,
]);

/** Variables rules may name. */
export const RULE_VARIABLES = ['self', 'oldSelf'] as const;

/** The one environment every rule compiles and runs in. */
export const ruleEnv: CelEnv = celEnv({
  variables: { self: CelScalar.DYN, oldSelf: CelScalar.DYN },
  funcs: [
    ...strings.filter((f) => f.name !== 'split'),
    ...splits,
    ...kubernetesLists,
    ...optionalMethods,
    meteredConcat,
    ...regexLibrary,
    ...quantityLibrary,
    ...urlLibrary,
    ...netLibrary,
    ...formatLibrary,
    ...setsLibrary,
    stringOfLibraryValue,
  ],
  re2: {
    compile(pattern: string) {
      const re = re2(pattern);
      return {
        test(text: string) {
          charge(1 + (text.length >> 6));
          return re.test(text);
        },
      };
    },
  },
});
