import type { KubeObject, ResourceDef } from '../registry/types.js';
import { apiVersionOf } from '../registry/types.js';
import type { KeyValue } from '../store/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The store key prefix of one resource: `/registry/pods/` or `/registry/apps/deployments/`. */
export function resourcePrefix(def: ResourceDef): string {
  return def.group ? `/registry/${def.group}/${def.plural}/` : `/registry/${def.plural}/`;
}

/** Prefix for listing: the whole resource, or one namespace of it. */
export function listPrefix(def: ResourceDef, namespace: string | undefined): string {
  return def.namespaced && namespace ? `${resourcePrefix(def)}${namespace}/` : resourcePrefix(def);
}

/** The store key of one object. */
export function objectKey(def: ResourceDef, namespace: string | undefined, name: string): string {
  return def.namespaced
    ? `${resourcePrefix(def)}${namespace ?? ''}/${name}`
    : `${resourcePrefix(def)}${name}`;
}

/** Serializes an object for the store, without resourceVersion (derived from modRevision). */
export function encodeObject(obj: KubeObject): Uint8Array {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  return encoder.encode(JSON.stringify({ ...obj, metadata }));
}

/** Reads a stored object and sets its resourceVersion from the key's modRevision. */
export function decodeObject(kv: KeyValue, modRevision = kv.modRevision): KubeObject {
  const obj = JSON.parse(decoder.decode(kv.value)) as KubeObject;
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(modRevision) };
  return obj;
}

/** Sets apiVersion and kind to the resource's (objects are stored with them, this is a guard). */
export function withTypeMeta(def: ResourceDef, obj: KubeObject): KubeObject {
  return { apiVersion: apiVersionOf(def), kind: def.kind, ...obj };
}

/** Deep copy of JSON data. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}
