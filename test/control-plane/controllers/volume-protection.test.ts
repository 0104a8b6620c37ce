import { describe, expect, it } from 'vitest';
import {
  claimInUse,
  reconcileClaimProtection,
  reconcileVolumeProtection,
} from '../../../src/control-plane/controllers/volume-protection.js';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '../../../src/kube/index.js';

const claim: PersistentVolumeClaim = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: {
    name: 'data',
    namespace: 'default',
    deletionTimestamp: '2026-01-01T00:00:00Z',
    finalizers: ['kubernetes.io/pvc-protection', 'example.com/other'],
  },
  spec: {},
};

const pod = (phase: string, claimName = 'data'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] },
  status: { phase: phase as 'Running' },
});

describe('storage object in-use protection', () => {
  it('keeps a claim being deleted while a pod that has not finished uses it', () => {
    expect(claimInUse('data', [pod('Pending')])).toBe(true);
    expect(reconcileClaimProtection(claim, [pod('Running')])).toEqual([]);
  });

  it('drops only its own finalizer once the pods are finished or use other claims', () => {
    const actions = reconcileClaimProtection(claim, [pod('Succeeded'), pod('Running', 'other')]);
    expect(actions).toMatchObject([
      {
        verb: 'update',
        resource: 'persistentvolumeclaims',
        object: { metadata: { finalizers: ['example.com/other'] } },
      },
    ]);
    expect(
      reconcileClaimProtection(
        { ...claim, metadata: { ...claim.metadata, deletionTimestamp: undefined } },
        [],
      ),
    ).toEqual([]);
  });

  it('keeps a volume being deleted while it is Bound', () => {
    const pv: PersistentVolume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name: 'v',
        deletionTimestamp: '2026-01-01T00:00:00Z',
        finalizers: ['kubernetes.io/pv-protection'],
      },
      spec: {},
      status: { phase: 'Bound' },
    };
    expect(reconcileVolumeProtection(pv)).toEqual([]);
    expect(reconcileVolumeProtection({ ...pv, status: { phase: 'Released' } })).toMatchObject([
      { verb: 'update', resource: 'persistentvolumes', object: { metadata: { finalizers: [] } } },
    ]);
  });
});
