import { describe, expect, it } from 'vitest';
import { selectDrainPods } from '../../src/drain/pod-filters.js';
import type { Pod } from '../../src/kube/index.js';

function pod(
  name: string,
  extra: { owner?: string; phase?: string; mirror?: boolean; emptyDir?: boolean } = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      ...(extra.owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: extra.owner, name: 'o', uid: 'u', controller: true },
            ],
          }
        : {}),
      ...(extra.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'x' } } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'i' }],
      ...(extra.emptyDir ? { volumes: [{ name: 'v', emptyDir: {} }] } : {}),
    },
    ...(extra.phase ? { status: { phase: extra.phase as 'Succeeded' } } : {}),
  };
}

describe('selectDrainPods (kubectl drain filters)', () => {
  const pods = [
    pod('rs', { owner: 'ReplicaSet' }),
    pod('ds', { owner: 'DaemonSet' }),
    pod('bare'),
    pod('done', { phase: 'Succeeded' }),
    pod('mirror', { mirror: true }),
    pod('scratch', { owner: 'ReplicaSet', emptyDir: true }),
  ];
  const names = (ps: readonly Pod[]) => ps.map((p) => p.metadata.name);

  it('refuses, naming the pods, what kubectl refuses without a flag', () => {
    const s = selectDrainPods(pods);
    expect(s.errors).toEqual([
      'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ns/ds',
      'cannot delete Pods declare no controller (use --force to override): ns/bare',
      'cannot delete Pods with local storage (use --delete-emptydir-data to override): ns/scratch',
    ]);
    expect(names(s.evict)).toEqual(['rs', 'done']);
    expect(s.skipped.map((x) => [x.pod.metadata.name, x.reason])).toEqual([['mirror', 'mirror pod']]);
  });

  it('with every flag evicts all but mirror and DaemonSet pods, and warns', () => {
    const s = selectDrainPods(pods, { ignoreDaemonSets: true, force: true, deleteEmptyDirData: true });
    expect(s.errors).toEqual([]);
    expect(names(s.evict)).toEqual(['rs', 'bare', 'done', 'scratch']);
    expect(s.skipped.map((x) => x.pod.metadata.name)).toEqual(['ds', 'mirror']);
    expect(s.warnings).toEqual([
      'ignoring DaemonSet-managed Pods: ns/ds',
      'deleting Pods that declare no controller: ns/bare',
      'deleting Pods with local storage: ns/scratch',
    ]);
  });
});
