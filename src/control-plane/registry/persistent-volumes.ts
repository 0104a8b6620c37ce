import { resources } from '../../client/types.js';
import type { UntypedObject } from '../../kube/index.js';
import { ageColumn, ageOf, column, nameColumn, nameOf } from './columns.js';
import { modesCell, textAt } from './storage.js';
import { identity, type ResourceDef } from './types.js';
import {
  checkPersistentVolumeSpec,
  checkPersistentVolumeUpdate,
  checkStorageClass,
  checkStorageClassUpdate,
} from './validation/persistent-volume.js';
import { ensureRecord, getPath, isRecord } from './validation.js';

/** The annotation that marks the default StorageClass (and its beta spelling, still honoured). */
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

/** `storageutil.IsDefaultAnnotation`: the (beta) default-class annotation is "true". */
export function isDefaultClass(obj: UntypedObject): boolean {
  const a = obj.metadata?.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

function claimCell(obj: UntypedObject): string {
  const ref = getPath(obj, ['spec', 'claimRef']);
  if (!isRecord(ref)) return '';
  return `${String(ref.namespace ?? '')}/${String(ref.name ?? '')}`;
}

/**
 * core/v1 PersistentVolume: cluster-scoped, validated as upstream, `Pending` until the volume
 * controller makes it Available; its phase lives in the status subresource.
 */
export const persistentvolumes: ResourceDef = {
  ...identity(resources.persistentVolumes),
  singular: 'persistentvolume',
  shortNames: ['pv'],
  categories: [],
  subresources: ['status'],
  statusField: 'status',
  defaults(obj) {
    const spec = ensureRecord(obj, 'spec');
    spec.persistentVolumeReclaimPolicy ??= 'Retain';
    spec.volumeMode ??= 'Filesystem';
    const status = ensureRecord(obj, 'status');
    status.phase ??= 'Pending';
  },
  validate: (obj) => checkPersistentVolumeSpec(obj.spec, 'spec'),
  validateUpdate: (obj, old) =>
    isRecord(obj.spec) && isRecord(old.spec) ? checkPersistentVolumeUpdate(obj.spec, old.spec) : [],
  columns: [
    nameColumn,
    column('Capacity', 'The storage capacity of the volume.'),
    column('Access Modes', 'The access modes of the volume.'),
    column('Reclaim Policy', 'What happens to the volume when its claim is released.'),
    column('Status', 'The phase of the volume.'),
    column('Claim', 'The claim bound to the volume.'),
    column('StorageClass', 'The storage class of the volume.'),
    column('VolumeAttributesClass', 'The volume attributes class of the volume.'),
    column('Reason', 'Why the volume is in its phase.'),
    ageColumn,
    column('VolumeMode', 'The volume mode of the volume.', 1),
  ],
  cells: (obj, now) => [
    nameOf(obj),
    textAt(obj, ['spec', 'capacity', 'storage']),
    modesCell(obj, ['spec', 'accessModes']),
    textAt(obj, ['spec', 'persistentVolumeReclaimPolicy']),
    obj.metadata?.deletionTimestamp ? 'Terminating' : textAt(obj, ['status', 'phase']),
    claimCell(obj),
    textAt(obj, ['spec', 'storageClassName']),
    textAt(obj, ['spec', 'volumeAttributesClassName']) || '<unset>',
    textAt(obj, ['status', 'reason']),
    ageOf(obj, now),
    textAt(obj, ['spec', 'volumeMode']),
  ],
};

/**
 * storage.k8s.io/v1 StorageClass: cluster-scoped, fields at the top level; reclaim `Delete` and
 * binding `Immediate` by default. The default class (annotation) fills claims that name none.
 */
export const storageclasses: ResourceDef = {
  ...identity(resources.storageClasses),
  singular: 'storageclass',
  shortNames: ['sc'],
  categories: [],
  subresources: [],
  defaults(obj) {
    obj.reclaimPolicy ??= 'Delete';
    obj.volumeBindingMode ??= 'Immediate';
  },
  validate: (obj) => checkStorageClass(obj),
  validateUpdate: (obj, old) => checkStorageClassUpdate(obj, old),
  columns: [
    nameColumn,
    column('Provisioner', 'The provisioner that creates volumes of this class.'),
    column('ReclaimPolicy', 'The reclaim policy of volumes of this class.'),
    column('VolumeBindingMode', 'When claims of this class are bound.'),
    column('AllowVolumeExpansion', 'Whether volumes of this class may grow.', 0, 'boolean'),
    ageColumn,
  ],
  cells: (obj, now) => [
    isDefaultClass(obj) ? `${nameOf(obj)} (default)` : nameOf(obj),
    typeof obj.provisioner === 'string' ? obj.provisioner : '',
    typeof obj.reclaimPolicy === 'string' ? obj.reclaimPolicy : 'Delete',
    typeof obj.volumeBindingMode === 'string' ? obj.volumeBindingMode : 'Immediate',
    obj.allowVolumeExpansion === true,
    ageOf(obj, now),
  ],
};
