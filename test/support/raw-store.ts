import { randomUUID } from 'node:crypto';
import { encodeObject, objectKey } from '../../src/control-plane/api/objects.js';
import { findKind } from '../../src/control-plane/registry/index.js';
import type { Store } from '../../src/control-plane/store/types.js';
import type { UntypedObject } from '../../src/kube/index.js';

/**
 * Writes `obj` straight into the store under its kind's key, bypassing the API server's defaulting
 * and validation (as an older version, a restore or a direct etcd write could): creates it, or
 * overwrites what is there. Fills in uid and creationTimestamp when missing.
 */
export async function writeRaw(store: Store, obj: UntypedObject): Promise<void> {
  const def = findKind(String(obj.apiVersion), String(obj.kind));
  if (!def) throw new Error(`no resource for ${String(obj.apiVersion)} ${String(obj.kind)}`);
  const meta = {
    uid: randomUUID(),
    creationTimestamp: `${new Date().toISOString().slice(0, 19)}Z`,
    ...obj.metadata,
  };
  const key = objectKey(
    def,
    def.namespaced ? String(meta.namespace ?? 'default') : undefined,
    String(meta.name),
  );
  const value = encodeObject({ ...obj, metadata: meta });
  const existing = await store.get(key);
  const result = existing
    ? await store.update(key, value, existing.modRevision)
    : await store.create(key, value);
  if (!result.ok) throw new Error(`raw write of ${key} lost a race; retry`);
}
