/**
 * IPv4 CIDR arithmetic for validating and deriving network ranges. Hand-written because the needs
 * are tiny (parse, contain, overlap, split) and a dependency would not be smaller than this file.
 */

/** A parsed IPv4 CIDR block. `base` is the network address as an unsigned 32-bit number. */
export interface Cidr {
  readonly base: number;
  readonly prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; returns undefined when malformed (octet > 255, prefix > 32, junk). */
export function parseCidr(text: string): { readonly cidr: Cidr; readonly hostBitsSet: boolean } | undefined {
  const m = CIDR_RE.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  const base = addr - (addr % 2 ** (32 - prefix));
  return { cidr: { base, prefix }, hostBitsSet: base !== addr };
}

/** Formats a CIDR as `a.b.c.d/n`. */
export function formatCidr(cidr: Cidr): string {
  const o = [24, 16, 8, 0].map((shift) => Math.floor(cidr.base / 2 ** shift) % 256);
  return `${o.join('.')}/${cidr.prefix}`;
}

function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base < outer.base + size(outer);
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/**
 * The `index`-th block of `newPrefix` inside `parent` (like Terraform's `cidrsubnet`).
 * Deterministic: the same parent, prefix and index always give the same block.
 */
export function subdivide(parent: Cidr, newPrefix: number, index: number): Cidr {
  const count = 2 ** (newPrefix - parent.prefix);
  if (newPrefix < parent.prefix || newPrefix > 32 || index < 0 || index >= count) {
    throw new RangeError(`cannot take block ${index} of /${newPrefix} from ${formatCidr(parent)}`);
  }
  return { base: parent.base + index * 2 ** (32 - newPrefix), prefix: newPrefix };
}

/** The text of a CIDR that is already known to be valid (normalised to its network address). */
export function normalizeCidr(text: string): string {
  const parsed = parseCidr(text);
  if (!parsed) throw new RangeError(`not a cidr: ${text}`);
  return formatCidr(parsed.cidr);
}
