import { CelScalar, celFunc, celMethod } from '@bufbuild/cel';
import { chargeText, need, unwrap, wrap } from './cel-lib-meter.js';

/**
 * The Kubernetes IP and CIDR libraries (k8s.io/apiserver/pkg/cel/library/ip.go, cidr.go) over
 * Go netip's parsing rules: strict dotted IPv4 (no leading zeros), IPv6 with one `::` and an
 * optional dotted tail; zones and IPv4-mapped IPv6 addresses are refused as upstream does.
 */
export interface Ip {
  readonly family: 4 | 6;
  /** 4 or 16 bytes. */
  readonly bytes: readonly number[];
}

export interface Cidr {
  readonly ip: Ip;
  readonly prefix: number;
}

function parseV4(s: string): number[] | string {
  const parts = s.split('.');
  if (parts.length !== 4) return 'IPv4 address too short';
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return 'unexpected character';
    if (p.length > 1 && p.startsWith('0')) return 'IPv4 field has octet with leading zero';
    const n = Number(p);
    if (n > 255) return 'IPv4 field has value >255';
    out.push(n);
  }
  return out;
}

function parseV6(s: string): number[] | string {
  const halves = s.split('::');
  if (halves.length > 2) return 'multiple :: in address';
  const groups = (h: string): number[] | string => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseV4(p);
        if (typeof v4 === 'string') return v4;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(Number.parseInt(p, 16));
      else return p.length > 4 ? 'each group must have 4 or less digits' : 'unexpected character';
    }
    return out;
  };
  const head = groups(halves[0] as string);
  if (typeof head === 'string') return head;
  let all = head;
  if (halves.length === 2) {
    const tail = groups(halves[1] as string);
    if (typeof tail === 'string') return tail;
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return 'too many hex fields';
    all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  }
  if (all.length !== 8) return all.length < 8 ? 'address string too short' : 'too many hex fields';
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** Parses an address as netip.ParseAddr; a Go-style reason on failure (zones are reported separately). */
function parseAddr(s: string): Ip | string {
  if (s === '') return 'unable to parse IP';
  if (s.includes(':')) {
    const zone = s.indexOf('%');
    const bytes = parseV6(zone >= 0 ? s.slice(0, zone) : s);
    if (typeof bytes === 'string') return bytes;
    if (zone >= 0) return 'zone';
    return { family: 6, bytes };
  }
  const bytes = parseV4(s);
  return typeof bytes === 'string' ? bytes : { family: 4, bytes };
}

function is4In6(ip: Ip): boolean {
  return (
    ip.family === 6 &&
    ip.bytes.slice(0, 10).every((b) => b === 0) &&
    ip.bytes[10] === 0xff &&
    ip.bytes[11] === 0xff
  );
}

/** `ip(s)`: the address, or upstream's error. */
export function parseIp(s: string): Ip {
  const r = parseAddr(s);
  if (r === 'zone') throw new Error('IP Address with zone value is not allowed');
  if (typeof r === 'string')
    throw new Error(`IP Address "${s}" parse error during conversion from string: ${r}`);
  if (is4In6(r)) throw new Error('IPv4-mapped IPv6 address is not allowed');
  return r;
}

/** `cidr(s)`: the prefix, or upstream's error. */
export function parseCidr(s: string): Cidr {
  const slash = s.lastIndexOf('/');
  const fail = (why: string) =>
    new Error(
      `network address "${s}" parse error during conversion from string: netip.ParsePrefix("${s}"): ${why}`,
    );
  if (slash < 0) throw fail("no '/'");
  const addr = parseAddr(s.slice(0, slash));
  if (addr === 'zone') throw new Error('CIDR with zone value is not allowed');
  if (typeof addr === 'string') throw fail(addr);
  const bits = s.slice(slash + 1);
  const max = addr.family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bits) || Number(bits) > max)
    throw fail(`bad bits after slash: "${bits}"`);
  if (is4In6(addr)) throw new Error('IPv4-mapped IPv6 address is not allowed');
  return { ip: addr, prefix: Number(bits) };
}

function ipString(ip: Ip): string {
  if (ip.family === 4) return ip.bytes.join('.');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number));
  // The longest run (of two or more) of zero groups becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

function masked(ip: Ip, prefix: number): Ip {
  return {
    family: ip.family,
    bytes: ip.bytes.map((b, i) => {
      const keep = Math.max(0, Math.min(8, prefix - i * 8));
      return b & ((0xff << (8 - keep)) & 0xff);
    }),
  };
}

function sameIp(a: Ip, b: Ip): boolean {
  return a.family === b.family && a.bytes.every((x, i) => x === b.bytes[i]);
}

function contains(c: Cidr, ip: Ip): boolean {
  return c.ip.family === ip.family && sameIp(masked(c.ip, c.prefix), masked(ip, c.prefix));
}

const wrapIp = (ip: Ip) => wrap('ip', ipString(ip), ip, ipString(ip));
const wrapCidr = (c: Cidr) => {
  const text = `${ipString(c.ip)}/${c.prefix}`;
  return wrap('cidr', text, c, text);
};
const IP = (v: unknown) => need<Ip>('ip', v);
const CIDR = (v: unknown) => need<Cidr>('cidr', v);

function holds(predicate: () => unknown): boolean {
  try {
    predicate();
    return true;
  } catch {
    return false;
  }
}

const DYN = CelScalar.DYN;
const BOOL = CelScalar.BOOL;

/** The fe80::/10 and 169.254/16 (unicast), ff02::/16 and 224.0.0/24 (multicast) link-local ranges. */
function linkLocalUnicast(ip: Ip): boolean {
  const b = ip.bytes as number[];
  return ip.family === 4 ? b[0] === 169 && b[1] === 254 : b[0] === 0xfe && ((b[1] as number) & 0xc0) === 0x80;
}
function linkLocalMulticast(ip: Ip): boolean {
  const b = ip.bytes as number[];
  return ip.family === 4
    ? b[0] === 224 && b[1] === 0 && b[2] === 0
    : b[0] === 0xff && ((b[1] as number) & 0x0f) === 0x02;
}
function loopback(ip: Ip): boolean {
  return ip.family === 4 ? ip.bytes[0] === 127 : ip.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
}
function unspecified(ip: Ip): boolean {
  return ip.bytes.every((b) => b === 0);
}
function multicast(ip: Ip): boolean {
  return ip.family === 4 ? ((ip.bytes[0] as number) & 0xf0) === 0xe0 : ip.bytes[0] === 0xff;
}

export const netLibrary = [
  celFunc('isIP', [CelScalar.STRING], BOOL, (s) => {
    chargeText(s);
    return holds(() => parseIp(s));
  }),
  celFunc('ip', [CelScalar.STRING], DYN, (s) => {
    chargeText(s);
    return wrapIp(parseIp(s));
  }),
  celFunc('ip.isCanonical', [CelScalar.STRING], BOOL, (s) => {
    chargeText(s);
    return ipString(parseIp(s)) === s;
  }),
  celMethod('family', DYN, [], CelScalar.INT, function () {
    return BigInt(IP(this).family);
  }),
  celMethod('isUnspecified', DYN, [], BOOL, function () {
    return unspecified(IP(this));
  }),
  celMethod('isLoopback', DYN, [], BOOL, function () {
    return loopback(IP(this));
  }),
  celMethod('isLinkLocalMulticast', DYN, [], BOOL, function () {
    return linkLocalMulticast(IP(this));
  }),
  celMethod('isLinkLocalUnicast', DYN, [], BOOL, function () {
    return linkLocalUnicast(IP(this));
  }),
  celMethod('isGlobalUnicast', DYN, [], BOOL, function () {
    const ip = IP(this);
    const broadcast = ip.family === 4 && ip.bytes.every((b) => b === 255);
    return !(broadcast || unspecified(ip) || loopback(ip) || multicast(ip) || linkLocalUnicast(ip));
  }),
  celFunc('isCIDR', [CelScalar.STRING], BOOL, (s) => {
    chargeText(s);
    return holds(() => parseCidr(s));
  }),
  celFunc('cidr', [CelScalar.STRING], DYN, (s) => {
    chargeText(s);
    return wrapCidr(parseCidr(s));
  }),
  celMethod('containsIP', DYN, [DYN], BOOL, function (o) {
    const ip = typeof o === 'string' ? parseIp(o) : IP(o);
    return contains(CIDR(this), ip);
  }),
  celMethod('containsCIDR', DYN, [DYN], BOOL, function (o) {
    const c = CIDR(this);
    const other = typeof o === 'string' ? parseCidr(o) : CIDR(o);
    return other.prefix >= c.prefix && contains(c, other.ip);
  }),
  celMethod('ip', DYN, [], DYN, function () {
    return wrapIp(CIDR(this).ip);
  }),
  celMethod('masked', DYN, [], DYN, function () {
    const c = CIDR(this);
    return wrapCidr({ ip: masked(c.ip, c.prefix), prefix: c.prefix });
  }),
  celMethod('prefixLength', DYN, [], CelScalar.INT, function () {
    return BigInt(CIDR(this).prefix);
  }),
];

/** The address `v` wraps, as text (for tests). */
export function ipText(v: unknown): string | undefined {
  const ip = unwrap<Ip>('ip', v);
  return ip && ipString(ip);
}
