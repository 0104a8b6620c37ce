import { difference, FieldSet } from './field-set.js';
import type { ManagedEntry } from './managed-fields.js';

/** Where a Scale keeps its replica count. */
export const SCALE_REPLICAS: readonly string[] = ['f:spec', 'f:replicas'];

/** One entry's identity: manager, operation, subresource, and apiVersion for Update entries. */
function identity(e: ManagedEntry): string {
  return JSON.stringify([
    e.manager,
    e.operation,
    e.subresource ?? '',
    e.operation === 'Update' ? e.apiVersion : '',
  ]);
}

function only(path: readonly string[]): FieldSet {
  const set = new FieldSet();
  set.insert(path);
  return set;
}

/**
 * The managedFields of a Scale view of `parent` (upstream's ScaleHandler.ToSubresource): every
 * entry owning the parent's replicas field owns `.spec.replicas` of the Scale, under its own
 * identity (conflicts then name the parent's manager and apiVersion); the other entries are left out.
 */
export function scaleEntriesOf(parent: readonly ManagedEntry[], replicas: readonly string[]): ManagedEntry[] {
  return parent.filter((e) => e.set.has(replicas)).map((e) => ({ ...e, set: only(SCALE_REPLICAS) }));
}

/**
 * The parent's entries after a write through `scale` (upstream's ScaleHandler.ToParent): entries
 * that did not own the replicas field stay as they were; those that did keep it while the Scale's
 * entries still have them, and lose it (and vanish when nothing else is left) when the write took
 * it; new Scale entries that own `.spec.replicas` own the parent's replicas field.
 */
export function parentEntriesOf(
  parent: readonly ManagedEntry[],
  scale: readonly ManagedEntry[],
  replicas: readonly string[],
  apiVersion: string,
): ManagedEntry[] {
  const remaining = new Map(scale.filter((e) => e.set.has(SCALE_REPLICAS)).map((e) => [identity(e), e]));
  const out: ManagedEntry[] = [];
  for (const e of parent) {
    if (!e.set.has(replicas)) out.push(e);
    else if (remaining.delete(identity(e))) out.push(e);
    else {
      const rest = difference(e.set, only(replicas));
      if (!rest.isEmpty()) out.push({ ...e, set: rest });
    }
  }
  for (const e of remaining.values()) out.push({ ...e, apiVersion, set: only(replicas) });
  return out;
}
