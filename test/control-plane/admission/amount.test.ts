import { describe, expect, it } from 'vitest';
import { add, cmp, formatAmount, parseAmount } from '../../../src/control-plane/admission/amount.js';

const fmt = (v: unknown) => formatAmount(parseAmount(v)!);

describe('exact quantities for admission', () => {
  it('prints canonical forms as Quantity.String() does', () => {
    expect(fmt('1000m')).toBe('1');
    expect(fmt('1500m')).toBe('1500m');
    expect(fmt('0.5')).toBe('500m');
    expect(fmt('1024Mi')).toBe('1Gi');
    expect(fmt('1536Mi')).toBe('1536Mi');
    expect(fmt('2e3')).toBe('2k');
    expect(fmt(3)).toBe('3');
    expect(fmt('0')).toBe('0');
    expect(fmt('1n')).toBe('1n');
  });

  it('adds without float error and compares exactly', () => {
    const sum = add(parseAmount('100m')!, parseAmount('200m')!);
    expect(cmp(sum, parseAmount('300m')!)).toBe(0);
    expect(cmp(sum, parseAmount('0.3')!)).toBe(0);
    expect(formatAmount(add(parseAmount('600Mi')!, parseAmount('600Mi')!))).toBe('1200Mi');
  });

  it('refuses what is no quantity and bounds hostile exponents', () => {
    for (const bad of ['', 'abc', '1x', '--1', {}, null, '1Eii', 'x'.repeat(100), Number.NaN])
      expect(parseAmount(bad)).toBeUndefined();
    const huge = parseAmount('1e999999')!;
    expect(huge.nanos).toBe(10n ** 49n);
    expect(parseAmount('9999999999999999999Ei')!.nanos > 0n).toBe(true);
    expect(parseAmount('1e-999999')!.nanos).toBe(1n);
  });
});
