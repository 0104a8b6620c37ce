import { UsageError } from '../errors.js';

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

/** Parses a Kubernetes quantity (`64Mi`, `1.5G`, `500m`, `2`, `1e3`) into a number of base units. Pure. */
export function parseQuantity(text: string): number {
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(text.trim());
  const value = m ? Number(m[1]) : Number.NaN;
  const suffix = m?.[2] ?? '';
  const factor = binary[suffix] ?? decimal[suffix];
  if (!m || Number.isNaN(value) || factor === undefined) {
    throw new UsageError(
      `invalid quantity "${text}": use a number with an optional suffix such as 500m, 64Mi or 2Gi`,
    );
  }
  return value * factor;
}

/** A CPU quantity in millicores (`500m` → 500, `2` → 2000). Pure. */
export function parseCpuMillis(text: string): number {
  return Math.round(parseQuantity(text) * 1000);
}

/** A memory quantity in bytes (`64Mi` → 67108864). Pure. */
export function parseBytes(text: string): number {
  return Math.round(parseQuantity(text));
}

/** Formats bytes as a Kubernetes quantity in Ki (as the kubelet reports memory). Pure. */
export function formatKi(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}
