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
