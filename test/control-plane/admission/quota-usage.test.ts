import { describe, expect, it } from 'vitest';
import { formatAmount } from '../../../src/control-plane/admission/amount.js';
import { quotaMatches } from '../../../src/control-plane/admission/quota-scopes.js';
import { computeUsage, missingCompute, usageOf } from '../../../src/control-plane/admission/quota-usage.js';
import type { UntypedObject } from '../../../src/kube/index.js';

const pod = (name: string, extra: Record<string, unknown> = {}, status?: string): UntypedObject => ({
  metadata: { name },
  spec: {
    containers: [
      { name: 'a', resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1' } } },
      { name: 'b', resources: { requests: { cpu: '250m' } } },
    ],
    initContainers: [{ name: 'i', resources: { requests: { cpu: '2' } } }],
    ...extra,
  },
  ...(status ? { status: { phase: status } } : {}),
});
const pods = { plural: 'pods', group: '' };
const show = (u: Map<string, { nanos: bigint; binary: boolean }>) =>
  Object.fromEntries([...u].map(([k, v]) => [k, formatAmount(v)]));

describe('quota usage', () => {
  it('charges a pod its containers summed and init containers as a max', () => {
    expect(show(usageOf('pods', '', pod('p')))).toEqual({
      pods: '1',
      'count/pods': '1',
      'requests.cpu': '2',
      cpu: '2',
      'requests.memory': '1Gi',
      memory: '1Gi',
      'limits.cpu': '1',
    });
  });

  it('leaves terminal pods and pods past their grace out of the count', () => {
    const now = new Date('2026-01-01T00:01:00Z');
    const gone = pod('gone');
    gone.metadata = {
      name: 'gone',
      deletionTimestamp: '2026-01-01T00:00:00Z',
      deletionGracePeriodSeconds: 30,
    };
    const items = [pod('run'), pod('done', {}, 'Succeeded'), pod('failed', {}, 'Failed'), gone];
    const usage = computeUsage(
      ['pods', 'requests.cpu', 'services'],
      [{ source: pods, items }],
      () => true,
      now,
    );
    expect(show(usage)).toEqual({ pods: '1', 'requests.cpu': '2', services: '0' });
  });

  it('names the containers missing an amount a compute quota limits', () => {
    const hard = new Map([
      ['limits.cpu', { nanos: 1n, binary: false }],
      ['requests.memory', { nanos: 1n, binary: false }],
    ]);
    expect(missingCompute(pod('p'), hard)).toBe('must specify limits.cpu for: b,i; requests.memory for: b,i');
  });

  it('matches scoped quotas to the pods they select', () => {
    const q = (spec: Record<string, unknown>): UntypedObject => ({ metadata: { name: 'q' }, spec });
    const bare: UntypedObject = { metadata: { name: 'b' }, spec: { containers: [{ name: 'c' }] } };
    expect(quotaMatches(q({ scopes: ['BestEffort'] }), 'pods', '', bare)).toBe(true);
    expect(quotaMatches(q({ scopes: ['BestEffort'] }), 'pods', '', pod('p'))).toBe(false);
    expect(
      quotaMatches(q({ scopes: ['Terminating'] }), 'pods', '', pod('p', { activeDeadlineSeconds: 5 })),
    ).toBe(true);
    expect(
      quotaMatches(q({ scopes: ['NotTerminating'] }), 'pods', '', pod('p', { activeDeadlineSeconds: 5 })),
    ).toBe(false);
    const byClass = q({
      scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] },
    });
    expect(quotaMatches(byClass, 'pods', '', pod('p', { priorityClassName: 'high' }))).toBe(true);
    expect(quotaMatches(byClass, 'pods', '', pod('p', { priorityClassName: 'low' }))).toBe(false);
    expect(quotaMatches(q({ scopes: ['BestEffort'] }), 'configmaps', '', bare)).toBe(false);
    expect(quotaMatches(q({}), 'configmaps', '', bare)).toBe(true);
  });
});
