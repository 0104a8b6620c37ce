import { type CelMap, CelScalar, celFunc, celMethod } from '@bufbuild/cel';
import { quantityPattern } from '../registry/validation/quantity.js';
import { charge, chargeText, need, unwrap, wrap } from './cel-lib-meter.js';

/**
 * The Kubernetes quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go) with exact
 * arithmetic: a quantity is `num × 10^-scale` (bigint, 0 ≤ scale ≤ 9), rounded up to the
 * nanounit as resource.Quantity does.
 */
export interface Quantity {
  readonly num: bigint;
  readonly scale: number;
}

const FORMAT = new RegExp(quantityPattern);
const NUMBER = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/;
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
/** Largest decimal exponent and longest number accepted (bounds on the bigint work of one quantity). */
const MAX_EXPONENT = 64;
const MAX_DIGITS = 128;
const INT64_MAX = (1n << 63n) - 1n;

function normalise(num: bigint, scale: number): Quantity {
  let n = num;
  let s = scale;
  if (s > 9) {
    // Round up (away from zero) to nano precision.
    const d = 10n ** BigInt(s - 9);
    const q = n / d;
    n = q * d === n ? q : q + (n < 0n ? -1n : 1n);
    s = 9;
  }
  while (s > 0 && n % 10n === 0n) {
    n /= 10n;
    s--;
  }
  return { num: n, scale: s };
}

/** Parses a quantity exactly; throws resource.ParseQuantity's errors. */
export function parseQuantityExact(text: string): Quantity {
  const m = FORMAT.exec(text);
  if (!m) throw new Error(`quantities must match the regular expression '${quantityPattern}'`);
  const number = m[1] as string;
  const suffix = m[2] as string;
  if (!NUMBER.test(number) || number.length > MAX_DIGITS)
    throw new Error('unable to parse numeric part of quantity');
  let exp10 = 0;
  let exp2 = 0;
  if (suffix in DECIMAL) exp10 = DECIMAL[suffix] as number;
  else if (suffix in BINARY) exp2 = BINARY[suffix] as number;
  else if (/^[eE][-+]?[0-9]+$/.test(suffix)) exp10 = Number(suffix.slice(1));
  else throw new Error("unable to parse quantity's suffix");
  if (Math.abs(exp10) > MAX_EXPONENT) throw new Error('unable to parse numeric part of quantity');
  const unsigned = number.replace(/^[+-]/, '');
  const [whole = '', frac = ''] = unsigned.split('.');
  let num = BigInt(`${whole}${frac}` || '0') * 2n ** BigInt(exp2);
  if (number.startsWith('-')) num = -num;
  let scale = frac.length - exp10;
  if (scale < 0) {
    num *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return normalise(num, scale);
}

function align(a: Quantity, b: Quantity): [bigint, bigint, number] {
  const s = Math.max(a.scale, b.scale);
  return [a.num * 10n ** BigInt(s - a.scale), b.num * 10n ** BigInt(s - b.scale), s];
}

export function compareQuantity(a: Quantity, b: Quantity): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function canonical(q: Quantity): string {
  const neg = q.num < 0n;
  const digits = (neg ? -q.num : q.num).toString().padStart(q.scale + 1, '0');
  const whole = digits.slice(0, digits.length - q.scale);
  const frac = digits.slice(digits.length - q.scale);
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

function quantity(q: Quantity): CelMap {
  return wrap('quantity', canonical(q), q);
}

const Q = (v: unknown) => need<Quantity>('quantity', v);

/** The other operand of add/sub: a quantity or an int. */
function operand(v: unknown): Quantity {
  if (typeof v === 'bigint') return { num: v, scale: 0 };
  return Q(v);
}

function plus(a: Quantity, b: Quantity, sign: bigint): CelMap {
  charge(1);
  const [x, y, s] = align(a, b);
  return quantity(normalise(x + sign * y, s));
}

const DYN = CelScalar.DYN;

export const quantityLibrary = [
  celFunc('isQuantity', [CelScalar.STRING], CelScalar.BOOL, (s) => {
    chargeText(s);
    try {
      parseQuantityExact(s);
      return true;
    } catch {
      return false;
    }
  }),
  celFunc('quantity', [CelScalar.STRING], DYN, (s) => {
    chargeText(s);
    return quantity(parseQuantityExact(s));
  }),
  celMethod('sign', DYN, [], CelScalar.INT, function () {
    const q = Q(this);
    return q.num < 0n ? -1n : q.num > 0n ? 1n : 0n;
  }),
  celMethod('isGreaterThan', DYN, [DYN], CelScalar.BOOL, function (o) {
    return compareQuantity(Q(this), Q(o)) === 1;
  }),
  celMethod('isLessThan', DYN, [DYN], CelScalar.BOOL, function (o) {
    return compareQuantity(Q(this), Q(o)) === -1;
  }),
  celMethod('compareTo', DYN, [DYN], CelScalar.INT, function (o) {
    return BigInt(compareQuantity(Q(this), Q(o)));
  }),
  celMethod('asApproximateFloat', DYN, [], CelScalar.DOUBLE, function () {
    const q = Q(this);
    return Number.parseFloat(`${q.num}e-${q.scale}`);
  }),
  celMethod('isInteger', DYN, [], CelScalar.BOOL, function () {
    const q = Q(this);
    return q.scale === 0 && q.num <= INT64_MAX && q.num >= -INT64_MAX - 1n;
  }),
  celMethod('asInteger', DYN, [], CelScalar.INT, function () {
    const q = Q(this);
    if (q.scale !== 0 || q.num > INT64_MAX || q.num < -INT64_MAX - 1n)
      throw new Error('cannot convert value to integer');
    return q.num;
  }),
  celMethod('add', DYN, [DYN], DYN, function (o) {
    return plus(Q(this), operand(o), 1n);
  }),
  celMethod('sub', DYN, [DYN], DYN, function (o) {
    return plus(Q(this), operand(o), -1n);
  }),
  celMethod('mul', DYN, [DYN], DYN, function (o) {
    const q = Q(this);
    if (typeof o !== 'bigint') throw new Error('no such overload');
    charge(1);
    return quantity(normalise(q.num * o, q.scale));
  }),
];

/** True when `v` is a quantity value (for tests). */
export function isQuantityValue(v: unknown): boolean {
  return unwrap('quantity', v) !== undefined;
}
