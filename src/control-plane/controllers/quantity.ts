/**
 * Kubernetes resource quantities ("250m", "1.5", "128Mi", "1G", "2e3") parsed to plain numbers:
 * CPU in millicores, everything else in base units (bytes, counts).
 */

const binary: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimal: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/**
 * Parses a quantity to its value in base units (cores for cpu, bytes for memory).
 * Throws on text that is not a quantity, naming the value.
 */
export function parseQuantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$/.exec(value.trim());
  const num = m ? Number(m[1]) : Number.NaN;
  const suffix = m?.[2] ?? '';
  const factor = binary[suffix] ?? decimal[suffix];
  if (!m || Number.isNaN(num) || factor === undefined) {
    throw new Error(
      `invalid quantity "${value}": use a number with an optional suffix such as 500m, 2, 128Mi or 1G`,
    );
  }
  return num * factor;
}

/** A quantity in the unit the scheduler accounts in: millicores for `cpu`, base units otherwise. */
export function resourceAmount(resource: string, value: string | number): number {
  const v = parseQuantity(value);
  return resource === 'cpu' ? Math.round(v * 1000) : Math.ceil(v);
}
