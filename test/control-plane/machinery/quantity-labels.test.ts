import { describe, expect, it } from 'vitest';
import { parseQuantity, resourceAmount } from '../../../src/client/quantity.js';
import { matchesSelector } from '../../../src/control-plane/machinery/labels.js';

describe('quantities', () => {
  it.each([
    ['cpu', '250m', 250],
    ['cpu', '1.5', 1500],
    ['cpu', 2, 2000],
    ['memory', '128Mi', 134217728],
    ['memory', '1G', 1e9],
    ['memory', '2e3', 2000],
    ['pods', '110', 110],
  ])('%s %s is %d in scheduler units', (resource, value, expected) => {
    expect(resourceAmount(resource, value)).toBe(expected);
  });

  it('names a malformed quantity and shows valid forms', () => {
    expect(() => parseQuantity('12 apples')).toThrow(
      'invalid quantity "12 apples": use a number with an optional suffix',
    );
  });
});

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each([
    [{ matchLabels: { app: 'web' } }, true],
    [{ matchLabels: { app: 'db' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In' as const, values: ['front', 'back'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn' as const, values: ['front'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' as const }] }, true],
    [{}, true],
    [undefined, false],
  ])('%j matches: %s', (selector, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });
});
