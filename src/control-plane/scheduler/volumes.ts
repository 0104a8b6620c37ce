import type { Node, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../../kube/index.js';
import { findMatchingVolume, volumeFitsNode } from '../machinery/volume-matching.js';
import type { FilterResult } from './filters.js';

/** Where the VolumeBinding filter looks claims, volumes and classes up (the informer caches). */
export interface VolumeLookup {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  storageClass(name: string): StorageClass | undefined;
  volumes(): readonly PersistentVolume[];
}

/** A pod's claims as the VolumeBinding plugin sorts them in PreFilter. */
export interface PodVolumes {
  /** Volumes of bound claims (their node affinity must admit the node). */
  readonly bound: readonly PersistentVolume[];
  /** Names of claims bound to volumes that do not exist. */
  readonly missing: readonly string[];
  /** Unbound WaitForFirstConsumer claims: a volume is found or provisioned once a node is chosen. */
  readonly delayed: readonly PersistentVolumeClaim[];
}

/** A class that never provisions: only existing volumes can serve its claims. */
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/**
 * VolumeBinding's PreFilter: every claim the pod mounts must exist and not be being deleted, and
 * an unbound claim must be of a WaitForFirstConsumer class (the binder handles Immediate ones
 * before scheduling). Returns kube-scheduler's message when the pod cannot be placed anywhere.
 */
export function podVolumes(pod: Pod, lookup: VolumeLookup): PodVolumes | { readonly message: string } {
  const bound: PersistentVolume[] = [];
  const missing: string[] = [];
  const delayed: PersistentVolumeClaim[] = [];
  const ns = pod.metadata.namespace ?? 'default';
  for (const v of pod.spec.volumes ?? []) {
    const name = v?.persistentVolumeClaim?.claimName;
    if (typeof name !== 'string') continue;
    const claim = lookup.claim(ns, name);
    if (!claim) return { message: `persistentvolumeclaim "${name}" not found` };
    if (claim.metadata.deletionTimestamp)
      return { message: `persistentvolumeclaim "${name}" is being deleted` };
    const volumeName = claim.spec?.volumeName;
    if (volumeName) {
      const pv = lookup.volume(volumeName);
      if (pv) bound.push(pv);
      else missing.push(name);
      continue;
    }
    const cls = lookup.storageClass(claim.spec?.storageClassName ?? '');
    if (cls?.volumeBindingMode !== 'WaitForFirstConsumer')
      return { message: 'pod has unbound immediate PersistentVolumeClaims' };
    delayed.push(claim);
  }
  return { bound, missing, delayed };
}

/**
 * VolumeBinding's Filter for one node: bound volumes' node affinity must admit it, and each delayed
 * claim needs a matching volume reachable from it or a class that provisions.
 */
export function filterVolumes(vols: PodVolumes, node: Node, lookup: VolumeLookup): FilterResult {
  if (vols.missing.length > 0)
    return ['node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)'];
  if (vols.bound.some((pv) => !volumeFitsNode(pv, node)))
    return ['node(s) had volume node affinity conflict'];
  for (const claim of vols.delayed) {
    if (findMatchingVolume(claim, lookup.volumes(), node)) continue;
    const cls = lookup.storageClass(claim.spec.storageClassName ?? '');
    if (!cls || cls.provisioner === NO_PROVISIONER)
      return ["node(s) didn't find available persistent volumes to bind"];
  }
  return [];
}
