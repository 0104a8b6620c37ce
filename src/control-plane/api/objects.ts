import type { UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
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

/**
 * Serializes an object for the store, without resourceVersion (derived from modRevision), with
 * apiVersion, kind and metadata first so {@link objectJson} can splice the resourceVersion in.
 */
export function encodeObject(obj: UntypedObject): Uint8Array {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  const { apiVersion, kind, metadata: _m, ...rest } = obj;
  return encoder.encode(JSON.stringify({ apiVersion, kind, metadata, ...rest }));
}

/** Matches the head of a stored object up to the inside of its top-level metadata. */
const HEAD = /^\{(?:"apiVersion":"(?:[^"\\]|\\.)*",)?(?:"kind":"(?:[^"\\]|\\.)*",)?"metadata":\{/;

const jsonCache = new WeakMap<KeyValue, string>();

/**
 * The JSON text of a stored object with its resourceVersion, without parsing it: lists and watch
 * fan-out send the stored bytes with `"resourceVersion"` spliced into metadata. Cached per
 * KeyValue, so one change sent to many watchers is serialized once.
 */
export function objectJson(kv: KeyValue, modRevision = kv.modRevision): string {
  const cacheable = modRevision === kv.modRevision;
  const cached = cacheable ? jsonCache.get(kv) : undefined;
  if (cached !== undefined) return cached;
  const text = decoder.decode(kv.value);
  const head = HEAD.exec(text);
  let json: string;
  if (head) {
    const at = head[0].length;
    const rv = `"resourceVersion":"${modRevision}"`;
    json = `${text.slice(0, at)}${rv}${text[at] === '}' ? '' : ','}${text.slice(at)}`;
  } else {
    json = JSON.stringify(decodeObject(kv, modRevision));
  }
  if (cacheable) jsonCache.set(kv, json);
  return json;
}

/** Reads a stored object and sets its resourceVersion from the key's modRevision. */
export function decodeObject(kv: KeyValue, modRevision = kv.modRevision): UntypedObject {
  const obj = JSON.parse(decoder.decode(kv.value)) as UntypedObject;
  obj.metadata = { ...(obj.metadata ?? {}), resourceVersion: String(modRevision) };
  return obj;
}

/** Sets apiVersion and kind to the resource's (objects are stored with them, this is a guard). */
export function withTypeMeta(def: ResourceDef, obj: UntypedObject): UntypedObject {
  return { apiVersion: apiVersionOf(def), kind: def.kind, ...obj };
}

/** Deep copy of JSON data. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

const objectCache = new WeakMap<KeyValue, UntypedObject>();

/**
 * Like {@link decodeObject} but shared: one parse per stored change however many watchers look at
 * it. Callers must treat the result as read-only.
 */
export function sharedObject(kv: KeyValue, modRevision = kv.modRevision): UntypedObject {
  if (modRevision !== kv.modRevision) return decodeObject(kv, modRevision);
  let obj = objectCache.get(kv);
  if (!obj) {
    obj = decodeObject(kv);
    objectCache.set(kv, obj);
  }
  return obj;
}

const API_VERSION_HEAD = /^\{"apiVersion":"(?:[^"\\]|\\.)*"/;

/**
 * The JSON of a stored object as `def` serves it: for custom resources (all versions in one place,
 * conversion None) the apiVersion becomes the def's; built-ins with a `conversion` are converted;
 * others are returned unchanged.
 */
export function jsonAs(def: ResourceDef, json: string): string {
  if (def.conversion) return JSON.stringify(def.conversion.fromStored(JSON.parse(json) as UntypedObject));
  if (!def.sharedVersions) return json;
  const head = `{"apiVersion":${JSON.stringify(apiVersionOf(def))}`;
  return json.startsWith(`${head},`) ? json : json.replace(API_VERSION_HEAD, head);
}

/** {@link jsonAs} for a decoded object the caller owns (sets apiVersion in place). */
export function objectAs<T extends UntypedObject | undefined>(def: ResourceDef, obj: T): T {
  if (def.conversion && obj) return def.conversion.fromStored(obj) as T;
  if (def.sharedVersions && obj) obj.apiVersion = apiVersionOf(def);
  return obj;
}

/** A built-in served in another version than it is stored in, as it is served (see `conversion`). */
export function servedAs(def: ResourceDef, obj: UntypedObject): UntypedObject {
  return def.conversion ? def.conversion.fromStored(obj) : obj;
}

/** An object of a served version as it is stored (see `conversion`). */
export function storedAs(def: ResourceDef, obj: UntypedObject): UntypedObject {
  return def.conversion ? def.conversion.toStored(obj) : obj;
}
