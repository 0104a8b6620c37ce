import type { KubeObject } from '../../kube/index.js';
import { clone } from '../machinery/objects.js';
import { type ResourceName, resourceOfKind } from '../machinery/resources.js';
import { type Action, deleteAction } from './actions.js';

/** Finalizer the API server sets for `propagationPolicy: Foreground`. */
export const foregroundFinalizer = 'foregroundDeletion';
/** Finalizer the API server sets for `propagationPolicy: Orphan`. */
export const orphanFinalizer = 'orphan';

/** An object with the resource it belongs to. */
export interface OwnedObject {
  readonly resource: ResourceName;
  readonly object: KubeObject;
}

/**
 * One pass of the garbage collector over every object of the kinds it watches:
 * - dependents whose owners are all gone are deleted (background cascade), dangling references
 *   among live owners are dropped;
 * - an owner being deleted with the `foregroundDeletion` finalizer has its dependents deleted
 *   first, and loses the finalizer when none remain;
 * - an owner being deleted with the `orphan` finalizer has its references removed from its
 *   dependents, then loses the finalizer.
 */
export function collectGarbage(objects: readonly OwnedObject[]): Action[] {
  const byUid = new Map<string, OwnedObject>();
  for (const o of objects) if (o.object.metadata.uid) byUid.set(o.object.metadata.uid, o);
  const dependents = new Map<string, OwnedObject[]>();
  for (const o of objects) {
    for (const ref of o.object.metadata.ownerReferences ?? []) {
      dependents.set(ref.uid, [...(dependents.get(ref.uid) ?? []), o]);
    }
  }
  const actions: Action[] = [];
  const handled = new Set<string>();

  for (const owner of objects) {
    const meta = owner.object.metadata;
    if (!meta.deletionTimestamp || !meta.uid) continue;
    const finalizers = meta.finalizers ?? [];
    const deps = dependents.get(meta.uid) ?? [];
    if (finalizers.includes(orphanFinalizer)) {
      for (const d of deps) {
        const next = clone(d.object);
        next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter(
          (r) => r.uid !== meta.uid,
        );
        actions.push({ verb: 'update', resource: d.resource, object: next });
        handled.add(d.object.metadata.uid ?? '');
      }
      if (deps.length === 0) actions.push(withoutFinalizer(owner, orphanFinalizer));
    } else if (finalizers.includes(foregroundFinalizer)) {
      for (const d of deps) {
        handled.add(d.object.metadata.uid ?? '');
        if (!d.object.metadata.deletionTimestamp)
          actions.push({ ...deleteAction(d.resource, d.object), propagationPolicy: 'Foreground' });
      }
      if (deps.length === 0) actions.push(withoutFinalizer(owner, foregroundFinalizer));
    }
  }

  for (const o of objects) {
    const refs = o.object.metadata.ownerReferences ?? [];
    const uid = o.object.metadata.uid ?? '';
    if (refs.length === 0 || handled.has(uid) || o.object.metadata.deletionTimestamp) continue;
    const watched = refs.filter((r) => resourceOfKind(r.kind) !== undefined);
    if (watched.length < refs.length) continue;
    const dangling = refs.filter((r) => {
      const owner = byUid.get(r.uid);
      return !owner || owner.object.metadata.name !== r.name;
    });
    if (dangling.length === 0) continue;
    if (dangling.length === refs.length) {
      const first = dangling[0]!;
      const resource = resourceOfKind(first.kind)!;
      actions.push({
        ...deleteAction(o.resource, o.object),
        propagationPolicy: 'Background',
        ifAbsent: { resource, namespace: o.object.metadata.namespace, name: first.name, uid: first.uid },
      });
    } else {
      const next = clone(o.object);
      next.metadata.ownerReferences = refs.filter((r) => !dangling.includes(r));
      actions.push({ verb: 'update', resource: o.resource, object: next });
    }
  }
  return actions;
}

function withoutFinalizer(owner: OwnedObject, finalizer: string): Action {
  const next = clone(owner.object);
  next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return { verb: 'update', resource: owner.resource, object: next };
}
