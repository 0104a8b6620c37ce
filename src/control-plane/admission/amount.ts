/**
 * Exact resource amounts for admission: quantities as BigInt counts of nano-units, so sums of
 * `100m` + `200m` compare exactly against a quota of `300m` (floats would not), and formatted back
 * the way apimachinery's Quantity.String() prints them (`1`, `500m`, `1Gi`, `1500Mi`).
 */

/** A quantity's value in nano-units and whether it was written with a binary suffix (Ki, Mi, ...). */
export interface Amount {
  readonly nanos: bigint;
  readonly binary: boolean;
}

const NANO = 1_000_000_000n;
/** Exponents beyond this are clamped: a hostile `1e999999` must not build a million-digit number. */
const MAX_EXPONENT = 40;

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const SHAPE = /^([+-]?)(\d*)(?:\.(\d*))?([a-zA-Z]*|[eE][+-]?\d+)$/;

/** Parses a quantity ("250m", "1.5Gi", "2e3", 3); undefined when it is not one. Rounds up below a nano. */
export function parseAmount(value: unknown): Amount | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const m = SHAPE.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const [, sign, whole = '', frac = '', suffix = ''] = m;
  let exp10 = 0;
  let shift = 0;
  let binary = false;
  if (/^[eE][+-]?\d+$/.test(suffix)) exp10 = Number(suffix.slice(1));
  else if (suffix in BINARY) {
    shift = BINARY[suffix]!;
    binary = true;
  } else if (suffix in DECIMAL) exp10 = DECIMAL[suffix]!;
  else return undefined;
  exp10 = Math.max(-MAX_EXPONENT, Math.min(MAX_EXPONENT, exp10));
  // digits × 10^(exp10 − frac.length + 9) × 2^shift, rounded up as Quantity does below its scale.
  const digits = BigInt(`${whole}${frac}` || '0');
  const e = exp10 - frac.length + 9;
  let nanos = e >= 0 ? digits * 10n ** BigInt(e) : (digits + 10n ** BigInt(-e) - 1n) / 10n ** BigInt(-e);
  nanos <<= BigInt(shift);
  if (sign === '-') nanos = -nanos;
  return { nanos, binary };
}

/** The amount of `value`, or zero when it does not parse (validation refused such objects). */
export function amountOf(value: unknown): Amount {
  return parseAmount(value) ?? { nanos: 0n, binary: false };
}

/** A plain count (pods=3) as an amount. */
export function count(n: number): Amount {
  return { nanos: BigInt(n) * NANO, binary: false };
}

export function add(a: Amount, b: Amount): Amount {
  return { nanos: a.nanos + b.nanos, binary: a.nanos === 0n ? b.binary : a.binary };
}

export function sub(a: Amount, b: Amount): Amount {
  return { nanos: a.nanos - b.nanos, binary: a.binary };
}

export function cmp(a: Amount, b: Amount): number {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

export const ZERO: Amount = { nanos: 0n, binary: false };

const BINARY_STEPS: ReadonlyArray<[string, bigint]> = [
  ['Ei', 1n << 60n],
  ['Pi', 1n << 50n],
  ['Ti', 1n << 40n],
  ['Gi', 1n << 30n],
  ['Mi', 1n << 20n],
  ['Ki', 1n << 10n],
];
const DECIMAL_STEPS: ReadonlyArray<[string, bigint]> = [
  ['E', 10n ** 27n],
  ['P', 10n ** 24n],
  ['T', 10n ** 21n],
  ['G', 10n ** 18n],
  ['M', 10n ** 15n],
  ['k', 10n ** 12n],
  ['', NANO],
  ['m', 1_000_000n],
  ['u', 1_000n],
  ['n', 1n],
];

/** Canonical text of an amount: the largest suffix that keeps it an integer. */
export function formatAmount(a: Amount): string {
  if (a.nanos === 0n) return '0';
  const neg = a.nanos < 0n;
  const abs = neg ? -a.nanos : a.nanos;
  const sign = neg ? '-' : '';
  if (a.binary && abs % NANO === 0n) {
    const units = abs / NANO;
    for (const [suffix, size] of BINARY_STEPS)
      if (units % size === 0n) return `${sign}${units / size}${suffix}`;
    if (units < 1024n) return `${sign}${units}`;
  }
  for (const [suffix, size] of DECIMAL_STEPS) {
    if (abs % size === 0n) return `${sign}${abs / size}${suffix}`;
  }
  return `${sign}${abs}n`;
}

/** A ratio limit/request as a plain number (for maxLimitRequestRatio). */
export function ratio(limit: Amount, request: Amount): number {
  if (request.nanos === 0n) return Number.POSITIVE_INFINITY;
  return Number((limit.nanos * 1_000_000n) / request.nanos) / 1_000_000;
}
