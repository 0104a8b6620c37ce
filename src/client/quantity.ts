import { TugboatError } from '../errors.js';

/**
 * Kubernetes resource quantities ("250m", "1.5", "128Mi", "1G", "2e3") as plain numbers, shared by
 * the agent (runtime limits, node capacity) and the scheduler (requests against allocatable).
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

/** Parses a quantity to its value in base units (cores for cpu, bytes for memory). Pure. */
export function parseQuantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(value.trim());
  const num = m ? Number(m[1]) : Number.NaN;
  const suffix = m?.[2] ?? '';
  const factor = binary[suffix] ?? decimal[suffix];
  if (!m || Number.isNaN(num) || factor === undefined) {
    throw new TugboatError(
      'INVALID_QUANTITY',
      `invalid quantity "${value}": use a number with an optional suffix such as 500m, 2, 64Mi or 1G`,
    );
  }
  return num * factor;
}

/** A CPU quantity in millicores (`500m` → 500, `2` → 2000). Pure. */
export function parseCpuMillis(value: string | number): number {
  return Math.round(parseQuantity(value) * 1000);
}

/** A memory quantity in bytes (`64Mi` → 67108864). Pure. */
export function parseBytes(value: string | number): number {
  return Math.round(parseQuantity(value));
}

/** Formats bytes as a Kubernetes quantity in Ki (as the kubelet reports memory). Pure. */
export function formatKi(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

/** A quantity in the unit the scheduler accounts in: millicores for `cpu`, base units otherwise. */
export function resourceAmount(resource: string, value: string | number): number {
  const v = parseQuantity(value);
  return resource === 'cpu' ? Math.round(v * 1000) : Math.ceil(v);
}
