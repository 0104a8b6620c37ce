import { describe, expect, it } from 'vitest';
import { cidrContains, cidrsOverlap, formatCidr, parseCidr, subdivide } from '../../src/config/cidr.js';
import { deriveSubnetCidr } from '../../src/config/resolve.js';
import { didYouMean, editDistance, suggest } from '../../src/config/suggest.js';

describe('suggest', () => {
  it('measures edits', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('Network', 'network')).toBe(0);
  });

  it('suggests close candidates only', () => {
    expect(suggest('netwrok', ['network', 'name'])).toBe('network');
    expect(suggest('workerGroup', ['workerGroups', 'master'])).toBe('workerGroups');
    expect(suggest('zzzzzz', ['network', 'name'])).toBeUndefined();
    expect(didYouMean('5', ['embedded', 'etcd'])).toBe('use one of embedded, etcd');
  });
});

describe('cidr', () => {
  it('parses and normalises', () => {
    expect(parseCidr('10.0.0.0/16')).toEqual({
      cidr: { base: 10 * 2 ** 24, prefix: 16 },
      hostBitsSet: false,
    });
    expect(parseCidr('10.0.0.1/16')?.hostBitsSet).toBe(true);
    for (const bad of ['10.0.0/16', '256.0.0.0/8', '10.0.0.0/33', '10.0.0.0', ' 10.0.0.0/8', '10.0.0.0/8x']) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
    expect(formatCidr(parseCidr('255.255.255.255/32')!.cidr)).toBe('255.255.255.255/32');
    expect(formatCidr(parseCidr('0.0.0.0/0')!.cidr)).toBe('0.0.0.0/0');
  });

  it('contains, overlaps and splits', () => {
    const vpc = parseCidr('10.0.0.0/16')!.cidr;
    expect(cidrContains(vpc, parseCidr('10.0.255.0/24')!.cidr)).toBe(true);
    expect(cidrContains(vpc, parseCidr('10.1.0.0/24')!.cidr)).toBe(false);
    expect(cidrContains(vpc, parseCidr('10.0.0.0/8')!.cidr)).toBe(false);
    expect(cidrsOverlap(parseCidr('10.0.0.0/24')!.cidr, parseCidr('10.0.0.128/25')!.cidr)).toBe(true);
    expect(cidrsOverlap(parseCidr('10.0.0.0/25')!.cidr, parseCidr('10.0.0.128/25')!.cidr)).toBe(false);
    expect(formatCidr(subdivide(vpc, 20, 15))).toBe('10.0.240.0/20');
    expect(() => subdivide(vpc, 20, 16)).toThrow(RangeError);
  });

  it('derives disjoint subnets inside the VPC, the same every time', () => {
    const subnets = [0, 1, 2, 3, 4, 5].map((i) => deriveSubnetCidr('172.16.0.0/24', i));
    expect(subnets.slice(0, 3)).toEqual(['172.16.0.0/28', '172.16.0.16/28', '172.16.0.32/28']);
    const parsed = subnets.map((s) => parseCidr(s)!.cidr);
    for (let a = 0; a < parsed.length; a++) {
      expect(cidrContains(parseCidr('172.16.0.0/24')!.cidr, parsed[a]!)).toBe(true);
      for (let b = a + 1; b < parsed.length; b++) expect(cidrsOverlap(parsed[a]!, parsed[b]!)).toBe(false);
    }
  });
});
