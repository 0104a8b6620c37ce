import type { KubeObject, PersistentVolume, PersistentVolumeClaim, Pod } from '../../kube/index.js';
import { clone, isPodFinished } from '../machinery/objects.js';
import type { Action } from './actions.js';

/** Finalizers the StorageObjectInUseProtection admission plugin puts on new claims and volumes. */
export const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION = 'kubernetes.io/pv-protection';

/** True when a pod that has not finished mounts the claim `name`. */
export function claimInUse(name: string, pods: readonly Pod[]): boolean {
  return pods.some(
    (p) =>
      !isPodFinished(p) && (p.spec?.volumes ?? []).some((v) => v?.persistentVolumeClaim?.claimName === name),
  );
}

function without<T extends KubeObject>(obj: T, finalizer: string): Action[] {
  const resource = obj.kind === 'PersistentVolume' ? 'persistentvolumes' : 'persistentvolumeclaims';
  const copy = clone(obj);
  copy.metadata.finalizers = (copy.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return [{ verb: 'update', resource, object: copy }];
}

/**
 * kube's PVC protection controller for a claim being deleted: its finalizer goes once no pod of
 * the namespace that has not finished uses it, so a claim in use outlives `kubectl delete pvc`.
 */
export function reconcileClaimProtection(claim: PersistentVolumeClaim, pods: readonly Pod[]): Action[] {
  if (!claim.metadata.deletionTimestamp || !claim.metadata.finalizers?.includes(PVC_PROTECTION)) return [];
  return claimInUse(claim.metadata.name ?? '', pods) ? [] : without(claim, PVC_PROTECTION);
}

/** kube's PV protection controller: a volume being deleted keeps its finalizer while it is Bound. */
export function reconcileVolumeProtection(pv: PersistentVolume): Action[] {
  if (!pv.metadata.deletionTimestamp || !pv.metadata.finalizers?.includes(PV_PROTECTION)) return [];
  return pv.status?.phase === 'Bound' ? [] : without(pv, PV_PROTECTION);
}
