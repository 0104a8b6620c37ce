import { describe, expect, it } from 'vitest';
import {
  filterVolumes,
  podVolumes,
  type VolumeLookup,
} from '../../../src/control-plane/scheduler/volumes.js';
import type {
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  StorageClass,
} from '../../../src/kube/index.js';
import { buildLocalPathClass } from '../../../src/kube/local-path.js';

const node = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: {} } });

function claim(name: string, spec: Partial<PersistentVolumeClaim['spec']>): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
  };
}

const localOn = (
  name: string,
  nodeName: string,
  claimRef?: PersistentVolume['spec']['claimRef'],
): PersistentVolume => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'local-disks',
    local: { path: `/mnt/${name}` },
    nodeAffinity: {
      required: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
      },
    },
    ...(claimRef ? { claimRef } : {}),
  },
  status: { phase: claimRef ? 'Bound' : 'Available' },
});

const staticClass: StorageClass = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'local-disks' },
  provisioner: 'kubernetes.io/no-provisioner',
  volumeBindingMode: 'WaitForFirstConsumer',
};
const immediate: StorageClass = {
  ...staticClass,
  metadata: { name: 'fast' },
  provisioner: 'ebs.csi.aws.com',
  volumeBindingMode: 'Immediate',
};

function lookup(claims: PersistentVolumeClaim[], volumes: PersistentVolume[]): VolumeLookup {
  const classes = [buildLocalPathClass(), staticClass, immediate];
  return {
    claim: (ns, name) => claims.find((c) => c.metadata.namespace === ns && c.metadata.name === name),
    volume: (name) => volumes.find((v) => v.metadata.name === name),
    storageClass: (name) => classes.find((c) => c.metadata.name === name),
    volumes: () => volumes,
  };
}

const pod = (...claimNames: string[]): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec: {
    containers: [{ name: 'c', image: 'busybox' }],
    volumes: claimNames.map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } })),
  },
});

describe('the scheduler VolumeBinding filter', () => {
  it('refuses pods whose claims are missing, being deleted or unbound with Immediate binding', () => {
    expect(podVolumes(pod('nope'), lookup([], []))).toEqual({
      message: 'persistentvolumeclaim "nope" not found',
    });
    const going = {
      ...claim('going', {}),
      metadata: { ...claim('going', {}).metadata, deletionTimestamp: '2026-01-01T00:00:00Z' },
    };
    expect(podVolumes(pod('going'), lookup([going], []))).toEqual({
      message: 'persistentvolumeclaim "going" is being deleted',
    });
    expect(podVolumes(pod('now'), lookup([claim('now', { storageClassName: 'fast' })], []))).toEqual({
      message: 'pod has unbound immediate PersistentVolumeClaims',
    });
  });

  it('keeps a pod with a bound local volume on that volume node only', () => {
    const c = claim('data', { storageClassName: 'local-disks', volumeName: 'disk-a' });
    const l = lookup(
      [c],
      [localOn('disk-a', 'node-a', { namespace: 'default', name: 'data', uid: 'uid-data' })],
    );
    const vols = podVolumes(pod('data'), l);
    if ('message' in vols) throw new Error(vols.message);
    expect(filterVolumes(vols, node('node-a'), l)).toEqual([]);
    expect(filterVolumes(vols, node('node-b'), l)).toEqual(['node(s) had volume node affinity conflict']);
  });

  it('places a WaitForFirstConsumer claim where a matching volume is, or anywhere its class provisions', () => {
    const waiting = claim('w', { storageClassName: 'local-disks' });
    const l = lookup([waiting], [localOn('disk-b', 'node-b')]);
    const vols = podVolumes(pod('w'), l);
    if ('message' in vols) throw new Error(vols.message);
    expect(vols.delayed.map((c) => c.metadata.name)).toEqual(['w']);
    expect(filterVolumes(vols, node('node-a'), l)).toEqual([
      "node(s) didn't find available persistent volumes to bind",
    ]);
    expect(filterVolumes(vols, node('node-b'), l)).toEqual([]);
    const provisioned = claim('lp', { storageClassName: 'local-path' });
    const l2 = lookup([provisioned], []);
    const v2 = podVolumes(pod('lp'), l2);
    if ('message' in v2) throw new Error(v2.message);
    expect(filterVolumes(v2, node('node-a'), l2)).toEqual([]);
  });

  it('refuses every node when a bound claim names a volume that does not exist', () => {
    const l = lookup([claim('lost', { volumeName: 'ghost' })], []);
    const vols = podVolumes(pod('lost'), l);
    if ('message' in vols) throw new Error(vols.message);
    expect(filterVolumes(vols, node('node-a'), l)).toEqual([
      'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)',
    ]);
  });
});
