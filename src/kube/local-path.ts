import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from './storage.js';

/** The provisioner name of tugboat's built-in node-local volumes. */
export const LOCAL_PATH_PROVISIONER = 'tugboat.io/local-path';
/** The default class the control plane creates at start. */
export const LOCAL_PATH_CLASS = 'local-path';
/** Node annotation where an agent publishes its volumes directory (`<data dir>/volumes`). */
export const VOLUMES_DIR_ANNOTATION = 'tugboat.dev/volumes-dir';
/** The agent's volumes directory when its Node does not say (the agent's default data dir). */
export const DEFAULT_VOLUMES_DIR = '/var/lib/tugboat/agent/volumes';

/** The `local-path` StorageClass: the default class, bound on first consumer, reclaim Delete. */
export function buildLocalPathClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: LOCAL_PATH_CLASS,
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/**
 * The volume provisioned for `claim` on `node` (kube names provisioned volumes `pvc-<claim uid>`):
 * a `local` volume at `<volumes dir>/<name>` with node affinity to that node, pre-bound to the claim,
 * the class's reclaim policy, the claim's modes and requested size. Pure.
 */
export function buildLocalPathVolume(
  claim: PersistentVolumeClaim,
  cls: StorageClass,
  node: string,
  volumesDir: string,
): PersistentVolume {
  const name = `pvc-${claim.metadata.uid ?? ''}`;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      annotations: { 'pv.kubernetes.io/provisioned-by': LOCAL_PATH_PROVISIONER },
    },
    spec: {
      capacity: { storage: claim.spec.resources?.requests?.storage ?? '0' },
      accessModes: [...(claim.spec.accessModes ?? ['ReadWriteOnce'])],
      persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
      storageClassName: cls.metadata.name ?? '',
      volumeMode: claim.spec.volumeMode ?? 'Filesystem',
      local: { path: `${volumesDir.replace(/\/+$/, '')}/${name}` },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
        },
      },
      claimRef: {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: claim.metadata.namespace ?? '',
        name: claim.metadata.name ?? '',
        uid: claim.metadata.uid ?? '',
      },
    },
  };
}
