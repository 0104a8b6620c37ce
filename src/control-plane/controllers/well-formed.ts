import type { KubeObject } from '../../kube/index.js';

/**
 * Shape checks for the whole-cluster loops (garbage collector, node lifecycle), which compute
 * over every object at once: a malformed object read from the store (written by an older
 * version or straight into etcd) is left out of the pass instead of failing it for everyone.
 */

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown) => v === undefined || typeof v === 'string';
const listOf = (v: unknown, item: (x: unknown) => boolean) =>
  v === undefined || (Array.isArray(v) && v.every(item));

/** Metadata the garbage collector reads: uid, ownerReferences, finalizers. */
export function hasOwnershipShape(obj: KubeObject): boolean {
  const m: unknown = obj.metadata;
  return (
    isRec(m) &&
    optString(m.uid) &&
    optString(m.name) &&
    optString(m.namespace) &&
    listOf(m.finalizers, (f) => typeof f === 'string') &&
    listOf(
      m.ownerReferences,
      (r) =>
        isRec(r) && typeof r.uid === 'string' && typeof r.name === 'string' && typeof r.kind === 'string',
    )
  );
}

const conditionsOk = (status: unknown) =>
  status === undefined ||
  (isRec(status) && listOf(status.conditions, (c) => isRec(c) && typeof c.type === 'string'));

/** A Node as the node lifecycle controller reads it: taints and conditions. */
export function hasNodeShape(obj: KubeObject): boolean {
  const spec: unknown = (obj as unknown as Rec).spec;
  const specOk =
    spec === undefined ||
    (isRec(spec) &&
      listOf(spec.taints, (t) => isRec(t) && typeof t.key === 'string' && typeof t.effect === 'string'));
  return hasOwnershipShape(obj) && specOk && conditionsOk((obj as unknown as Rec).status);
}

/** A Pod as the node lifecycle controller reads it: node name, tolerations, phase. */
export function hasPodShape(obj: KubeObject): boolean {
  const spec: unknown = (obj as unknown as Rec).spec;
  return (
    hasOwnershipShape(obj) &&
    isRec(spec) &&
    optString(spec.nodeName) &&
    listOf(
      spec.tolerations,
      (t) => isRec(t) && optString(t.key) && optString(t.effect) && optString(t.value),
    ) &&
    conditionsOk((obj as unknown as Rec).status)
  );
}

/** A Lease as heartbeats are read from it. */
export function hasLeaseShape(obj: KubeObject): boolean {
  const spec: unknown = (obj as unknown as Rec).spec;
  return hasOwnershipShape(obj) && (spec === undefined || (isRec(spec) && optString(spec.renewTime)));
}
