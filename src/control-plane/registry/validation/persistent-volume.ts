import type { StatusCause } from '../../../kube/index.js';
import {
  absent,
  enumAt,
  forbidden,
  invalid,
  isRecord,
  listAt,
  recordAt,
  required,
  stringAt,
  unsupported,
} from './field.js';
import { checkQualifiedName, checkSubdomain } from './names.js';
import { checkQuantity } from './quantity.js';
import { checkNodeSelectorTerms } from './scheduling.js';
import { checkAccessModes } from './storage.js';

/** The volume sources a PersistentVolumeSpec may carry (core/v1), exactly one of which is set. */
export const persistentVolumeSources = [
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'hostPath',
  'glusterfs',
  'nfs',
  'rbd',
  'iscsi',
  'cinder',
  'cephfs',
  'fc',
  'flocker',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'local',
  'storageos',
  'csi',
];

const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];
const hostPathTypes = [
  '',
  'BlockDevice',
  'CharDevice',
  'Directory',
  'DirectoryOrCreate',
  'File',
  'FileOrCreate',
  'Socket',
];

/** `validatePathNoBacksteps`: no `..` element. */
function checkNoBacksteps(path: string, field: string, causes: StatusCause[]): void {
  if (path.split('/').includes('..')) causes.push(invalid(field, path, "must not contain '..'"));
}

function checkSourcePath(source: unknown, field: string, causes: StatusCause[], types?: string[]): void {
  const s = recordAt(source, field, causes);
  if (!s) return;
  const path = stringAt(s.path, `${field}.path`, causes);
  if (!path) {
    if (path === '' || absent(s.path)) causes.push(required(`${field}.path`));
    return;
  }
  checkNoBacksteps(path, `${field}.path`, causes);
  if (types) enumAt(s.type, `${field}.type`, types, causes);
}

/** The PersistentVolume's volume sources that are set. */
export function volumeSourcesOf(spec: Record<string, unknown>): string[] {
  return persistentVolumeSources.filter((k) => !absent(spec[k]));
}

/**
 * `ValidatePersistentVolumeSpec`: capacity with only `storage`, at least one known access mode, a
 * reclaim policy, exactly one volume source (hostPath and local checked in detail; local needs node
 * affinity), a valid class name and volume mode, and node affinity as a NodeSelector.
 */
export function checkPersistentVolumeSpec(value: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!isRecord(value)) return [required(field)];
  checkAccessModes(value.accessModes, `${field}.accessModes`, 'must specify at least 1 access mode', causes);
  const capacity = recordAt(value.capacity, `${field}.capacity`, causes);
  if (!capacity || Object.keys(capacity).length === 0) {
    if (!causes.some((c) => c.field === `${field}.capacity`)) causes.push(required(`${field}.capacity`));
  } else {
    if (!('storage' in capacity) || Object.keys(capacity).length > 1)
      causes.push(unsupported(`${field}.capacity`, capacity, ['storage']));
    for (const [k, q] of Object.entries(capacity)) {
      const n = checkQuantity(q, `${field}.capacity.${k}`, causes);
      if (n !== undefined && n < 0)
        causes.push(invalid(`${field}.capacity.${k}`, q, 'must be greater than or equal to 0'));
    }
  }
  enumAt(
    value.persistentVolumeReclaimPolicy,
    `${field}.persistentVolumeReclaimPolicy`,
    reclaimPolicies,
    causes,
  );
  const cls = stringAt(value.storageClassName, `${field}.storageClassName`, causes);
  if (cls) causes.push(...checkSubdomain(cls, `${field}.storageClassName`));
  enumAt(value.volumeMode, `${field}.volumeMode`, ['Block', 'Filesystem'], causes);
  const sources = volumeSourcesOf(value);
  if (sources.length === 0) causes.push(required(field, 'must specify a volume type'));
  for (const extra of sources.slice(1))
    causes.push(forbidden(`${field}.${extra}`, 'may not specify more than 1 volume type'));
  if (!absent(value.hostPath)) checkSourcePath(value.hostPath, `${field}.hostPath`, causes, hostPathTypes);
  if (!absent(value.local)) checkSourcePath(value.local, `${field}.local`, causes);
  const affinity = recordAt(value.nodeAffinity, `${field}.nodeAffinity`, causes);
  const requiredSel = affinity
    ? recordAt(affinity.required, `${field}.nodeAffinity.required`, causes)
    : undefined;
  if (requiredSel) {
    const terms = `${field}.nodeAffinity.required.nodeSelectorTerms`;
    if (
      absent(requiredSel.nodeSelectorTerms) ||
      (Array.isArray(requiredSel.nodeSelectorTerms) && requiredSel.nodeSelectorTerms.length === 0)
    )
      causes.push(required(terms, 'must have at least one node selector term'));
    else checkNodeSelectorTerms(requiredSel.nodeSelectorTerms, terms, causes);
  }
  if (!absent(value.local) && !requiredSel)
    causes.push(required(`${field}.nodeAffinity`, 'Local volume requires node affinity'));
  const claimRef = recordAt(value.claimRef, `${field}.claimRef`, causes);
  if (claimRef) {
    stringAt(claimRef.name, `${field}.claimRef.name`, causes);
    stringAt(claimRef.namespace, `${field}.claimRef.namespace`, causes);
  }
  return causes;
}

/**
 * `ValidatePersistentVolumeUpdate`: the volume source and the volume mode are fixed once created,
 * and node affinity may only be added, not changed.
 */
export function checkPersistentVolumeUpdate(
  spec: Record<string, unknown>,
  old: Record<string, unknown>,
): StatusCause[] {
  const causes: StatusCause[] = [];
  const sourceOf = (s: Record<string, unknown>) =>
    JSON.stringify(persistentVolumeSources.map((k) => s[k] ?? null));
  if (sourceOf(spec) !== sourceOf(old))
    causes.push(
      forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is forbidden once created'),
    );
  if ((spec.volumeMode ?? 'Filesystem') !== (old.volumeMode ?? 'Filesystem'))
    causes.push(invalid('spec.volumeMode', spec.volumeMode, 'field is immutable'));
  if (!absent(old.nodeAffinity) && JSON.stringify(spec.nodeAffinity) !== JSON.stringify(old.nodeAffinity))
    causes.push(invalid('spec.nodeAffinity', spec.nodeAffinity, 'field is immutable'));
  return causes;
}

/**
 * `ValidateStorageClass`: a provisioner (a qualified name), parameters under 256 KiB, and known
 * reclaim policy and binding mode.
 */
export function checkStorageClass(obj: Record<string, unknown>): StatusCause[] {
  const causes: StatusCause[] = [];
  const provisioner = stringAt(obj.provisioner, 'provisioner', causes);
  if (!provisioner) {
    if (!causes.length) causes.push(required('provisioner'));
  } else causes.push(...checkQualifiedName(provisioner, 'provisioner'));
  const params = recordAt(obj.parameters, 'parameters', causes);
  if (params) {
    let size = 0;
    for (const [k, v] of Object.entries(params)) {
      if (typeof v !== 'string') causes.push(invalid(`parameters.${k}`, v, 'must be a string'));
      size += k.length + String(v).length;
    }
    if (size > 256 * 1024)
      causes.push(invalid('parameters', '', 'must be less than or equal to 262144 bytes'));
  }
  enumAt(obj.reclaimPolicy, 'reclaimPolicy', ['Delete', 'Retain'], causes);
  enumAt(obj.volumeBindingMode, 'volumeBindingMode', ['Immediate', 'WaitForFirstConsumer'], causes);
  for (const [i, o] of listAt(obj.mountOptions, 'mountOptions', causes))
    if (typeof o !== 'string') causes.push(invalid(`mountOptions[${i}]`, o, 'must be a string'));
  return causes;
}

/** `ValidateStorageClassUpdate`: parameters, provisioner, reclaim policy and binding mode are fixed. */
export function checkStorageClassUpdate(
  obj: Record<string, unknown>,
  old: Record<string, unknown>,
): StatusCause[] {
  const causes: StatusCause[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  if (!same(obj.parameters, old.parameters))
    causes.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  if (obj.provisioner !== old.provisioner)
    causes.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (!same(obj.reclaimPolicy, old.reclaimPolicy))
    causes.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  if (!same(obj.volumeBindingMode, old.volumeBindingMode))
    causes.push(invalid('volumeBindingMode', obj.volumeBindingMode, 'field is immutable'));
  return causes;
}
