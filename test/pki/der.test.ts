import { describe, expect, it } from 'vitest';
import { ipBytes } from '../../src/pki/certificate.js';
import { children, oid, readElement, sequence, time, tlv, unsignedInteger } from '../../src/pki/der.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('DER encoding', () => {
  it('encodes object identifiers, including multi-byte arcs', () => {
    expect(hex(oid('2.5.4.3'))).toBe('0603550403');
    expect(hex(oid('1.2.840.10045.4.3.2'))).toBe('06082a8648ce3d040302');
    expect(() => oid('1')).toThrow(/invalid object identifier "1"/);
  });

  it('encodes integers minimally and positive', () => {
    expect(hex(unsignedInteger(Buffer.from([0, 0, 5])))).toBe('020105');
    expect(hex(unsignedInteger(Buffer.from([0x80])))).toBe('02020080');
    expect(hex(unsignedInteger(Buffer.from([])))).toBe('020100');
  });

  it('uses long-form lengths above 127 bytes and reads them back', () => {
    const long = tlv(0x04, Buffer.alloc(300, 7));
    expect(hex(long.subarray(0, 4))).toBe('0482012c');
    const el = readElement(long, 0);
    expect(el.end - el.start).toBe(300);
    expect(el.end).toBe(long.length);
  });

  it('walks the children of a sequence', () => {
    const seq = sequence(unsignedInteger(Buffer.from([1])), oid('2.5.4.10'));
    const kids = children(seq, readElement(seq, 0));
    expect(kids.map((k) => k.tag)).toEqual([0x02, 0x06]);
  });

  it('rejects truncated input', () => {
    expect(() => readElement(Buffer.from([0x30, 0x05, 0x01]), 0)).toThrow(/truncated/);
  });

  it('writes UTCTime before 2050 and GeneralizedTime from 2050', () => {
    expect(time(new Date('2026-11-25T08:31:13.456Z')).toString('latin1').slice(2)).toBe('261125083113Z');
    expect(time(new Date('2026-11-25T08:31:13Z'))[0]).toBe(0x17);
    const late = time(new Date('2051-01-02T03:04:05Z'));
    expect(late[0]).toBe(0x18);
    expect(late.toString('latin1').slice(2)).toBe('20510102030405Z');
  });

  it('encodes IPv4 and IPv6 addresses for subjectAltName', () => {
    expect(hex(ipBytes('10.0.1.4'))).toBe('0a000104');
    expect(hex(ipBytes('::1'))).toBe('00000000000000000000000000000001');
    expect(hex(ipBytes('fd00:1::abcd'))).toBe('fd00000100000000000000000000abcd');
    expect(hex(ipBytes('::ffff:192.0.2.1'))).toBe('00000000000000000000ffffc0000201');
    expect(() => ipBytes('10.0.0.256')).toThrow(/not an IP address/);
  });
});
