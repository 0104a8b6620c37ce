import { afterEach, describe, expect, it } from 'vitest';
import { checkEipAddress, EipNat, renderEipRules } from './eip-nat.js';

describe('renderEipRules', () => {
  it('translates associated addresses, drops the others, masquerades loopback sources that leave', () => {
    const rules = renderEipRules([
      { publicIp: '127.44.3.9', privateIp: undefined },
      { publicIp: '127.12.0.7', privateIp: '10.0.0.5' },
    ]);
    expect(rules.split('\n')).toEqual([
      '*nat',
      ':TBH-EIP-OUT - [0:0]',
      ':TBH-EIP-POST - [0:0]',
      '-A TBH-EIP-OUT -d 127.12.0.7/32 -j DNAT --to-destination 10.0.0.5',
      '-A TBH-EIP-POST -s 127.0.0.0/8 ! -o lo -m conntrack --ctstate DNAT -j MASQUERADE',
      'COMMIT',
      '*filter',
      ':TBH-EIP-DROP - [0:0]',
      '-A TBH-EIP-DROP -d 127.44.3.9/32 -j DROP',
      'COMMIT',
      '',
    ]);
  });

  it('is the same whatever order the emulator lists the addresses in', () => {
    const a = { publicIp: '127.1.2.3', privateIp: '10.0.0.4' };
    const b = { publicIp: '127.9.8.7', privateIp: '10.0.1.4' };
    expect(renderEipRules([a, b])).toBe(renderEipRules([b, a]));
  });
});

describe('checkEipAddress', () => {
  it.each(['127.0.0.1', '127.0.0.53'])('refuses %s, where the runner itself listens', (ip) => {
    expect(() => checkEipAddress(ip)).toThrow(/127\.0\.0\.0\/24, where the runner's own services listen/);
  });

  it.each(['', 'x', '127.1.2', '127.1.2.300', '::1'])('refuses %j: not IPv4', (ip) => {
    expect(() => checkEipAddress(ip)).toThrow(/is not an IPv4 address/);
  });

  it('takes what moto hands out', () => {
    expect(() => checkEipAddress('127.201.13.4')).not.toThrow();
  });
});

describe('EipNat', () => {
  const saved = process.env.TUGBOAT_E2E_CONFINED;
  afterEach(() => {
    if (saved === undefined) delete process.env.TUGBOAT_E2E_CONFINED;
    else process.env.TUGBOAT_E2E_CONFINED = saved;
  });

  it('refuses to change the namespace it runs in outside the e2e confinement', () => {
    delete process.env.TUGBOAT_E2E_CONFINED;
    expect(() => new EipNat()).toThrow(/run it inside the e2e confinement/);
  });
});
