import { describe, expect, it } from 'vitest';
import { poddisruptionbudgets } from '../../../src/control-plane/registry/disruption-budgets.js';
import type { UntypedObject } from '../../../src/kube/index.js';

// PodDisruptionBudgets (policy/v1) defaulted and validated as kube-apiserver does, and printed as
// kubectl's PDB table.

const pdb = (spec: Record<string, unknown>, status?: Record<string, unknown>): UntypedObject => ({
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-12-02T11:00:00Z' },
  spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  ...(status ? { status } : {}),
});

function problems(obj: UntypedObject): string[] {
  poddisruptionbudgets.defaults?.(obj);
  return (poddisruptionbudgets.validate?.(obj) ?? []).map((c) => `${c.field}: ${c.message}`);
}

describe('PodDisruptionBudget validation', () => {
  it('defaults a budget that names neither bound to minAvailable 1, and accepts ints and percents', () => {
    const obj = pdb({});
    expect(problems(obj)).toEqual([]);
    expect(obj.spec).toMatchObject({ minAvailable: 1 });
    expect(problems(pdb({ minAvailable: '50%' }))).toEqual([]);
    expect(problems(pdb({ maxUnavailable: 0 }))).toEqual([]);
  });

  it('refuses both bounds, bad percentages, negatives, more than 100% and an unknown eviction policy', () => {
    expect(problems(pdb({ minAvailable: 1, maxUnavailable: 1 }))).toEqual([
      'spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and maxUnavailable cannot be both set',
    ]);
    expect(problems(pdb({ minAvailable: 'half' }))[0]).toContain(
      'spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"half"}: a valid percent string must be',
    );
    expect(problems(pdb({ maxUnavailable: -1 }))).toEqual([
      'spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0',
    ]);
    expect(problems(pdb({ minAvailable: '120%' }))).toEqual([
      'spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
    ]);
    expect(problems(pdb({ unhealthyPodEvictionPolicy: 'Sometimes' }))).toEqual([
      'spec.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes": supported values: "AlwaysAllow", "IfHealthyBudget"',
    ]);
    expect(problems(pdb({ selector: { matchLabels: { 'bad key!': 'x' } } }))[0]).toMatch(
      /^spec\.selector\.matchLabels: Invalid value: "bad key!"/,
    );
  });

  it('refuses negative counts in status', () => {
    const obj = pdb(
      { minAvailable: 1 },
      { disruptionsAllowed: -1, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
    );
    expect(problems(obj)).toEqual([
      'status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });

  it('prints MIN AVAILABLE, MAX UNAVAILABLE (N/A when unset), ALLOWED DISRUPTIONS and AGE', () => {
    expect(poddisruptionbudgets.columns.map((c) => c.name)).toEqual([
      'Name',
      'Min Available',
      'Max Unavailable',
      'Allowed Disruptions',
      'Age',
    ]);
    const now = new Date('2026-12-02T12:00:00Z');
    const obj = pdb({ maxUnavailable: '25%' }, { disruptionsAllowed: 2 });
    expect(poddisruptionbudgets.cells(obj, now)).toEqual(['web', 'N/A', '25%', 2, '60m']);
  });
});
