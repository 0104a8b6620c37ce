/**
 * The few DER (ASN.1 Distinguished Encoding Rules) encoders and one reader that X.509
 * certificates need. Hand-written on purpose: it is ~120 lines, has no dependency (the control
 * plane is bundled without native addons and should stay small), and needs no global
 * `reflect-metadata` shim the way `@peculiar/x509` does.
 */

/** Tag + length + value. */
export function tlv(tag: number, value: Uint8Array): Buffer {
  const len = value.length;
  let header: number[];
  if (len < 0x80) {
    header = [tag, len];
  } else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), value]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(0x31, Buffer.concat(items));
export const octetString = (value: Uint8Array): Buffer => tlv(0x04, value);
export const utf8String = (value: string): Buffer => tlv(0x0c, Buffer.from(value, 'utf8'));
export const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
/** `[n] EXPLICIT` wrapper (constructed, context-specific). */
export const explicit = (n: number, inner: Uint8Array): Buffer => tlv(0xa0 | n, inner);
/** `[n] IMPLICIT` primitive (context-specific), e.g. a SAN dNSName is `[2] IA5String`. */
export const implicitPrimitive = (n: number, value: Uint8Array): Buffer => tlv(0x80 | n, value);

/** BIT STRING with `unusedBits` padding bits at the end of the last byte. */
export function bitString(value: Uint8Array, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), value]));
}

/** INTEGER from unsigned big-endian bytes (minimal, with a 0x00 prefix when the top bit is set). */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let body = Buffer.from(bytes.subarray(start));
  if (body.length === 0) body = Buffer.from([0]);
  if ((body[0] ?? 0) & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(0x02, body);
}

/** OBJECT IDENTIFIER from dotted form, e.g. `2.5.4.3`. */
export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const [a, b, ...rest] = parts;
  if (a === undefined || b === undefined || parts.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new Error(`invalid object identifier "${dotted}"`);
  }
  const out: number[] = [a * 40 + b];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift(0x80 | (n & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. Always UTC, seconds precision. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(digits.slice(2), 'ascii'));
  return tlv(0x18, Buffer.from(digits, 'ascii'));
}

/** One decoded element: its tag, where its value starts and ends, and where the whole TLV ends. */
export interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly headerStart: number;
  readonly end: number;
}

/** Reads the TLV at `offset` of `buf`. Throws on truncated or indefinite-length input. */
export function readElement(buf: Uint8Array, offset: number): DerElement {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('truncated DER element');
  let len = first;
  let start = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + (buf[start + i] ?? 0);
    start += count;
  }
  if (start + len > buf.length) throw new Error('truncated DER element');
  return { tag, start, headerStart: offset, end: start + len };
}

/** The child elements of a constructed element. */
export function children(buf: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const el = readElement(buf, at);
    out.push(el);
    at = el.end;
  }
  return out;
}
