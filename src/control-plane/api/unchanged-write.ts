import { isDeepStrictEqual } from 'node:util';
import type { UntypedObject } from '../../kube/index.js';

/** The object's metadata without what a write that changes nothing may still differ in. */
function comparable(obj: UntypedObject): UntypedObject {
  const { resourceVersion: _rv, managedFields, ...meta } = obj.metadata ?? {};
  const entries = Array.isArray(managedFields)
    ? managedFields.map((e) => {
        if (e === null || typeof e !== 'object') return e;
        const { time: _time, ...rest } = e as Record<string, unknown>;
        return rest;
      })
    : managedFields;
  return { ...obj, metadata: { ...meta, managedFields: entries } };
}

/**
 * Whether writing `next` over `current` would change nothing but managedFields timestamps: then
 * kube-apiserver keeps the old managedFields (IgnoreManagedFieldsTimestampsTransformer) and its
 * store skips the write, so a repeated apply or update is a no-op that keeps the resourceVersion
 * and sends no watch event.
 */
export function isUnchangedWrite(current: UntypedObject, next: UntypedObject): boolean {
  return isDeepStrictEqual(comparable(current), comparable(next));
}
