import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/control-plane/controllers/actions.js';
import {
  type ClaimWorld,
  NO_CLASS_MESSAGE,
  reconcileClaim,
  reconcileVolume,
} from '../../../src/control-plane/controllers/volume-binding.js';
import { findMatchingVolume, mismatch } from '../../../src/control-plane/machinery/volume-matching.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../src/kube/index.js';
import { buildLocalPathClass } from '../../../src/kube/local-path.js';

function pv(
  name: string,
  size: string,
  extra: Partial<PersistentVolume['spec']> = {},
  labels?: Record<string, string>,
): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1', ...(labels ? { labels } : {}) },
    spec: {
      capacity: { storage: size },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      volumeMode: 'Filesystem',
      hostPath: { path: `/srv/${name}` },
      ...extra,
    },
    status: { phase: 'Available' },
  };
}

function pvc(
  name: string,
  size: string,
  extra: Partial<PersistentVolumeClaim['spec']> = {},
  annotations?: Record<string, string>,
): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion: '5',
      ...(annotations ? { annotations } : {}),
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: size } },
      volumeMode: 'Filesystem',
      ...extra,
    },
    status: { phase: 'Pending' },
  };
}

function world(
  volumes: PersistentVolume[],
  classes: StorageClass[] = [],
  nodes: Record<string, Record<string, string>> = {},
): ClaimWorld {
  return {
    volumes,
    classes: new Map(classes.map((c) => [c.metadata.name ?? '', c])),
    volumesDirOf: (n) => (nodes[n] ? `/data/${n}/volumes` : undefined),
    nodeLabels: (n) => nodes[n],
  };
}

const events = (actions: Action[]) =>
  actions
    .filter((a) => a.verb === 'event')
    .map((a) => (a.verb === 'event' ? `${a.type} ${a.reason}: ${a.message}` : ''));

describe('volume matching', () => {
  it.each([
    [
      'a volume of another class',
      pv('a', '1Gi', { storageClassName: 'fast' }),
      pvc('c', '1Gi'),
      'storage class differs',
    ],
    ['a volume too small', pv('a', '500Mi'), pvc('c', '1Gi'), 'too small'],
    [
      'a volume without the mode',
      pv('a', '1Gi', { accessModes: ['ReadOnlyMany'] }),
      pvc('c', '1Gi'),
      'access modes differ',
    ],
    [
      'a block volume for a filesystem claim',
      pv('a', '1Gi', { volumeMode: 'Block' }),
      pvc('c', '1Gi'),
      'volume mode differs',
    ],
    [
      'a volume bound elsewhere',
      pv('a', '1Gi', { claimRef: { namespace: 'default', name: 'other', uid: 'x' } }),
      pvc('c', '1Gi'),
      'bound to another claim',
    ],
    [
      'a volume outside the selector',
      pv('a', '1Gi', {}, { tier: 'slow' }),
      pvc('c', '1Gi', { selector: { matchLabels: { tier: 'fast' } } }),
      'labels do not match the selector',
    ],
  ])('refuses %s', (_what, volume, claim, why) => {
    expect(mismatch(volume, claim)).toBe(why);
  });

  it('takes the smallest volume that fits, and a pre-bound one before any other', () => {
    const claim = pvc('c', '1Gi');
    const vols = [pv('big', '10Gi'), pv('exact', '1Gi'), pv('small', '100Mi'), pv('mid', '2Gi')];
    expect(findMatchingVolume(claim, vols)?.metadata.name).toBe('exact');
    const pre = pv('pre', '10Gi', { claimRef: { namespace: 'default', name: 'c' } });
    expect(findMatchingVolume(claim, [...vols, pre])?.metadata.name).toBe('pre');
  });

  it('matches a selector and keeps volumes off other nodes out when a node is given', () => {
    const claim = pvc('c', '1Gi', { selector: { matchLabels: { tier: 'fast' } } });
    const onA = pv(
      'on-a',
      '1Gi',
      {
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }],
          },
        },
      },
      { tier: 'fast' },
    );
    expect(findMatchingVolume(claim, [onA])?.metadata.name).toBe('on-a');
    expect(findMatchingVolume(claim, [onA], { metadata: { name: 'b' } })).toBeUndefined();
    expect(findMatchingVolume(claim, [onA], { metadata: { name: 'a' } })?.metadata.name).toBe('on-a');
  });
});

describe('reconcileClaim', () => {
  it('binds both sides: claimRef and Bound on the volume, volumeName, annotations and Bound on the claim', () => {
    const actions = reconcileClaim(pvc('data', '1Gi'), world([pv('vol-1', '5Gi')]));
    expect(actions.map((a) => `${a.verb} ${a.verb === 'event' ? '' : a.resource}`)).toEqual([
      'update persistentvolumes',
      'updateStatus persistentvolumes',
      'update persistentvolumeclaims',
      'updateStatus persistentvolumeclaims',
    ]);
    const [volume, volumeStatus, claim, claimStatus] = (
      actions as Array<Extract<Action, { object: unknown }>>
    ).map((a) => a.object);
    expect((volume as PersistentVolume).spec.claimRef).toEqual({
      kind: 'PersistentVolumeClaim',
      apiVersion: 'v1',
      namespace: 'default',
      name: 'data',
      uid: 'uid-data',
      resourceVersion: '5',
    });
    expect((volumeStatus as PersistentVolume).status?.phase).toBe('Bound');
    expect((claim as PersistentVolumeClaim).spec.volumeName).toBe('vol-1');
    expect((claim as PersistentVolumeClaim).metadata.annotations).toEqual({
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
    });
    expect((claimStatus as PersistentVolumeClaim).status).toEqual({
      phase: 'Bound',
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '5Gi' },
    });
  });

  it('does nothing more for a claim already bound both ways', () => {
    const volume = pv('vol-1', '5Gi', { claimRef: { namespace: 'default', name: 'data', uid: 'uid-data' } });
    volume.status = { phase: 'Bound' };
    const claim = pvc('data', '1Gi', { volumeName: 'vol-1' }, { 'pv.kubernetes.io/bind-completed': 'yes' });
    claim.status = { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '5Gi' } };
    expect(reconcileClaim(claim, world([volume]))).toEqual([]);
  });

  it('says why a claim waits, as kube does', () => {
    expect(events(reconcileClaim(pvc('c', '1Gi'), world([pv('tiny', '1Mi')])))).toEqual([
      `Normal FailedBinding: ${NO_CLASS_MESSAGE}`,
    ]);
    expect(events(reconcileClaim(pvc('c', '1Gi', { storageClassName: 'gold' }), world([])))).toEqual([
      'Warning ProvisioningFailed: storageclass.storage.k8s.io "gold" not found',
    ]);
    expect(
      events(
        reconcileClaim(
          pvc('c', '1Gi', { storageClassName: 'local-path' }),
          world([], [buildLocalPathClass()]),
        ),
      ),
    ).toEqual(['Normal WaitForFirstConsumer: waiting for first consumer to be created before binding']);
    const ebs: StorageClass = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'ebs' },
      provisioner: 'ebs.csi.aws.com',
      volumeBindingMode: 'Immediate',
    };
    expect(events(reconcileClaim(pvc('c', '1Gi', { storageClassName: 'ebs' }), world([], [ebs])))[0]).toMatch(
      /^Normal ExternalProvisioning: Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com'/,
    );
  });

  it('provisions a local-path volume on the selected node, pre-bound to the claim', () => {
    const claim = pvc(
      'c',
      '2Gi',
      { storageClassName: 'local-path' },
      { 'volume.kubernetes.io/selected-node': 'node-a' },
    );
    const actions = reconcileClaim(claim, world([], [buildLocalPathClass()], { 'node-a': {} }));
    const created = actions.find((a) => a.verb === 'create');
    expect(created?.verb === 'create' && created.resource).toBe('persistentvolumes');
    const volume = (created as Extract<Action, { verb: 'create' }>).object as PersistentVolume;
    expect(volume.metadata.name).toBe('pvc-uid-c');
    expect(volume.spec).toMatchObject({
      capacity: { storage: '2Gi' },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'local-path',
      local: { path: '/data/node-a/volumes/pvc-uid-c' },
      claimRef: { namespace: 'default', name: 'c', uid: 'uid-c' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a'] }] },
          ],
        },
      },
    });
    expect(events(actions)).toEqual([
      'Normal ProvisioningSucceeded: Successfully provisioned volume pvc-uid-c',
    ]);
    // Once the volume exists (pre-bound), the claim binds to it.
    const next = reconcileClaim(
      claim,
      world([{ ...volume, status: { phase: 'Pending' } }], [buildLocalPathClass()], { 'node-a': {} }),
    );
    expect(next.some((a) => a.verb === 'update' && a.resource === 'persistentvolumeclaims')).toBe(true);
  });

  it('marks a bound claim Lost when its volume is gone', () => {
    const claim = pvc('c', '1Gi', { volumeName: 'gone' });
    claim.status = { phase: 'Bound' };
    const actions = reconcileClaim(claim, world([]));
    expect(actions[0]).toMatchObject({ verb: 'updateStatus', object: { status: { phase: 'Lost' } } });
    expect(events(actions)).toEqual([
      'Warning ClaimLost: Bound claim has lost its PersistentVolume. Data on the volume is lost!',
    ]);
  });
});

describe('reconcileVolume', () => {
  const boundTo = (policy: 'Retain' | 'Delete') => {
    const v = pv('v', '1Gi', {
      persistentVolumeReclaimPolicy: policy,
      claimRef: { namespace: 'default', name: 'c', uid: 'uid-c' },
    });
    v.status = { phase: 'Bound' };
    return v;
  };

  it('makes a new volume Available', () => {
    const v = pv('v', '1Gi');
    v.status = { phase: 'Pending' };
    expect(reconcileVolume(v, () => undefined)).toMatchObject([
      { verb: 'updateStatus', object: { status: { phase: 'Available' } } },
    ]);
  });

  it('keeps a volume whose claim is there', () => {
    expect(reconcileVolume(boundTo('Delete'), () => pvc('c', '1Gi'))).toEqual([]);
  });

  it('releases the volume when the claim is gone or replaced; Retain keeps it, Delete deletes it', () => {
    expect(reconcileVolume(boundTo('Retain'), () => undefined)).toMatchObject([
      { verb: 'updateStatus', object: { status: { phase: 'Released' } } },
    ]);
    const replaced = { ...pvc('c', '1Gi'), metadata: { ...pvc('c', '1Gi').metadata, uid: 'new-uid' } };
    expect(reconcileVolume(boundTo('Delete'), () => replaced)).toMatchObject([
      { verb: 'updateStatus', object: { status: { phase: 'Released' } } },
      { verb: 'delete', resource: 'persistentvolumes', name: 'v', uid: 'uid-v' },
    ]);
  });
});
