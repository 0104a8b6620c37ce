import type { StatusCause } from '../../../kube/index.js';
import { enumAt, invalid, isRecord, listAt, recordAt, required, stringAt, unsupported } from './field.js';
import { checkSubdomain } from './names.js';
import { checkQuantity } from './quantity.js';

/** Access modes a PersistentVolumeClaim may ask for (core/v1). */
export const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];

/**
 * Access modes of a claim or volume: at least one (`emptyMessage` otherwise, worded as upstream
 * words it for that kind), each known, and `ReadWriteOncePod` only alone.
 */
export function checkAccessModes(
  value: unknown,
  field: string,
  emptyMessage: string,
  causes: StatusCause[],
): void {
  const before = causes.length;
  const modes = listAt(value, field, causes);
  if (modes.length === 0 && causes.length === before) causes.push(required(field, emptyMessage));
  const seen = new Set<unknown>();
  for (const [, m] of modes) {
    if (typeof m !== 'string' || !accessModes.includes(m)) causes.push(unsupported(field, m, accessModes));
    seen.add(m);
  }
  if (seen.has('ReadWriteOncePod') && seen.size > 1)
    causes.push(
      invalid(
        field,
        modes.map(([, m]) => m),
        'may not use ReadWriteOncePod with other access modes',
      ),
    );
}

/**
 * A PersistentVolumeClaim's `spec` as `ValidatePersistentVolumeClaimSpec` checks it: at least one
 * known access mode (ReadWriteOncePod alone), a positive `resources.requests[storage]`, and a
 * valid storage class name and volume mode. Also used for StatefulSet volumeClaimTemplates.
 */
export function checkClaimSpec(value: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!isRecord(value)) return [required(field)];
  checkAccessModes(value.accessModes, `${field}.accessModes`, 'at least 1 access mode is required', causes);
  const resources = recordAt(value.resources, `${field}.resources`, causes);
  const requests = resources
    ? recordAt(resources.requests, `${field}.resources.requests`, causes)
    : undefined;
  const storage = requests?.storage;
  if (storage === undefined || storage === null) causes.push(required(`${field}.resources[storage]`));
  else {
    const n = checkQuantity(storage, `${field}.resources[storage]`, causes);
    if (n !== undefined && n <= 0)
      causes.push(invalid(`${field}.resources[storage]`, storage, 'must be greater than zero'));
  }
  const cls = stringAt(value.storageClassName, `${field}.storageClassName`, causes);
  if (cls) causes.push(...checkSubdomain(cls, `${field}.storageClassName`));
  enumAt(value.volumeMode, `${field}.volumeMode`, ['Block', 'Filesystem'], causes);
  return causes;
}
