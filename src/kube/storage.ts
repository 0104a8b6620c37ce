/** core/v1 storage objects. */
import type { KubeObject } from './meta.js';

export interface PersistentVolumeClaim extends KubeObject {
  spec: {
    accessModes?: string[];
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    storageClassName?: string;
    volumeName?: string;
    volumeMode?: 'Filesystem' | 'Block';
    selector?: unknown;
  };
  status?: {
    phase?: 'Pending' | 'Bound' | 'Lost';
    accessModes?: string[];
    capacity?: Record<string, string>;
  };
}

/** A claim's binding as a PersistentVolume records it (an ObjectReference). */
export interface ClaimReference {
  kind?: string;
  apiVersion?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

/** A NodeSelector (the `required` part of a volume's node affinity). */
export interface VolumeNodeSelector {
  nodeSelectorTerms: Array<{
    matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
    matchFields?: Array<{ key: string; operator: string; values?: string[] }>;
  }>;
}

/** core/v1 PersistentVolume (cluster-scoped). */
export interface PersistentVolume extends KubeObject {
  spec: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    claimRef?: ClaimReference;
    persistentVolumeReclaimPolicy?: 'Retain' | 'Delete' | 'Recycle';
    storageClassName?: string;
    volumeMode?: 'Filesystem' | 'Block';
    mountOptions?: string[];
    nodeAffinity?: { required?: VolumeNodeSelector };
    hostPath?: { path: string; type?: string };
    local?: { path: string; fsType?: string };
    [source: string]: unknown;
  };
  status?: {
    phase?: 'Pending' | 'Available' | 'Bound' | 'Released' | 'Failed';
    message?: string;
    reason?: string;
    lastPhaseTransitionTime?: string;
  };
}

/** storage.k8s.io/v1 StorageClass (cluster-scoped; no spec, its fields are top-level). */
export interface StorageClass extends KubeObject {
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: 'Retain' | 'Delete';
  mountOptions?: string[];
  allowVolumeExpansion?: boolean;
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  allowedTopologies?: unknown[];
}
