import { isDeepStrictEqual } from 'node:util';
import { resources } from '../../client/types.js';
import type { UntypedObject } from '../../kube/index.js';
import { ageColumn, ageOf, column, nameColumn, nameOf } from './columns.js';
import { identity, type ResourceDef } from './types.js';
import { checkClaimSpec, ensureRecord, getPath, isRecord } from './validation.js';

/** SetDefaults_PersistentVolumeClaimSpec: a filesystem volume. */
export function defaultClaimSpec(spec: Record<string, unknown>): void {
  spec.volumeMode ??= 'Filesystem';
}

const shortModes: Record<string, string> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};

/** ACCESS MODES cell: the modes at `path` in kubectl's short form (RWO,ROX). */
export function modesCell(obj: UntypedObject, path: readonly string[] = ['status', 'accessModes']): string {
  const modes = getPath(obj, path);
  return Array.isArray(modes) ? modes.map((m) => shortModes[String(m)] ?? String(m)).join(',') : '';
}

/** The string at `path`, or empty. */
export function textAt(obj: UntypedObject, path: readonly string[]): string {
  const v = getPath(obj, path);
  return typeof v === 'string' ? v : '';
}

/** `old`'s spec with `spec.volumeName` taken from `next` when `old` had none yet. */
function withVolumeName(old: unknown, next: unknown): unknown {
  if (!isRecord(old) || !isRecord(next) || old.volumeName) return old;
  const out = { ...old };
  if (next.volumeName !== undefined) out.volumeName = next.volumeName;
  return out;
}

/**
 * core/v1 PersistentVolumeClaim: validated and stored, `Pending` until the volume controller binds
 * it to a PersistentVolume (controllers/persistent-volume-*.ts).
 */
export const persistentvolumeclaims: ResourceDef = {
  ...identity(resources.persistentVolumeClaims),
  singular: 'persistentvolumeclaim',
  shortNames: ['pvc'],
  categories: [],
  subresources: ['status'],
  statusField: 'status',
  defaults(obj) {
    defaultClaimSpec(ensureRecord(obj, 'spec'));
    const status = ensureRecord(obj, 'status');
    status.phase ??= 'Pending';
  },
  validate: (obj) => checkClaimSpec(obj.spec, 'spec'),
  // The spec is fixed at creation, except that binding sets spec.volumeName once (as upstream).
  validateUpdate: (obj, old) =>
    isDeepStrictEqual(obj.spec, withVolumeName(old.spec, obj.spec))
      ? []
      : [
          {
            reason: 'FieldValueForbidden',
            field: 'spec',
            message:
              'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
          },
        ],
  columns: [
    nameColumn,
    column('Status', 'The phase of the claim.'),
    column('Volume', 'The volume bound to the claim.'),
    column('Capacity', 'The capacity of the bound volume.'),
    column('Access Modes', 'The access modes of the bound volume.'),
    column('StorageClass', 'The storage class of the claim.'),
    column('VolumeAttributesClass', 'The volume attributes class of the claim.'),
    ageColumn,
    column('VolumeMode', 'The volume mode of the claim.', 1),
  ],
  cells: (obj, now) => [
    nameOf(obj),
    obj.metadata?.deletionTimestamp ? 'Terminating' : textAt(obj, ['status', 'phase']),
    textAt(obj, ['spec', 'volumeName']),
    textAt(obj, ['status', 'capacity', 'storage']),
    modesCell(obj),
    textAt(obj, ['spec', 'storageClassName']),
    textAt(obj, ['spec', 'volumeAttributesClassName']) || '<unset>',
    ageOf(obj, now),
    textAt(obj, ['spec', 'volumeMode']),
  ],
};
