import { expect, it } from 'vitest';
import { effectiveTaints } from '../../../src/control-plane/scheduler/filters.js';
import type { Node } from '../../../src/kube/index.js';

const node = (ready: string | undefined, taints?: { key: string; effect: string }[]) =>
  ({
    metadata: { name: 'n1' },
    spec: taints ? { taints } : {},
    status: { conditions: ready ? [{ type: 'Ready', status: ready }] : [] },
  }) as unknown as Node;

it('repels new pods from a lost node even when they tolerate its NoExecute taint (found by the e2e)', () => {
  const lost = node('Unknown', [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]);
  expect(effectiveTaints(lost)).toContainEqual({
    key: 'node.kubernetes.io/unreachable',
    effect: 'NoSchedule',
  });
  expect(effectiveTaints(node('Unknown'))).toContainEqual({
    key: 'node.kubernetes.io/unreachable',
    effect: 'NoSchedule',
  });
  expect(effectiveTaints(node('False'))).toEqual([
    { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
  ]);
  expect(effectiveTaints(node('True'))).toEqual([]);
});
