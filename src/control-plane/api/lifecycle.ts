import { randomUUID } from 'node:crypto';
import type { UntypedMeta, UntypedObject } from '../../kube/index.js';
import type { ResourceDef } from '../registry/types.js';
import { apiVersionOf } from '../registry/types.js';
import { checkAnnotations, checkLabels, checkSubdomain, isRecord } from '../registry/validation.js';
import { SERVER_META } from './apply/field-manager.js';
import { ApiError, badRequest, conflict, invalid, type StatusCause } from './status.js';

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** `generateName` + 5 random characters, as kube-apiserver does. */
export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return `${prefix.slice(0, 58)}${suffix}`;
}

/** RFC 3339 with second precision, the form Kubernetes timestamps use. */
export function timestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** ObjectMeta's fields: what the server sets, and what clients set. */
const KNOWN_META = new Set([
  ...SERVER_META,
  'generateName',
  'labels',
  'annotations',
  'finalizers',
  'ownerReferences',
]);

/** Fields that are not part of the known object shape (top level and metadata), for fieldValidation. */
export function unknownFields(def: ResourceDef, obj: UntypedObject, allowed: readonly string[]): string[] {
  const unknown = Object.keys(obj)
    .filter((k) => !allowed.includes(k))
    .map((k) => `.${k}`);
  if (isRecord(obj.metadata)) {
    for (const k of Object.keys(obj.metadata)) if (!KNOWN_META.has(k)) unknown.push(`.metadata.${k}`);
  }
  return def ? unknown : [];
}

/** Checks apiVersion and kind of a body against the resource it was sent to (400 when wrong). */
export function checkTypeMeta(def: ResourceDef, obj: UntypedObject, expectKind = def.kind): void {
  const want = apiVersionOf(def);
  if (obj.apiVersion !== undefined && obj.apiVersion !== want) {
    throw badRequest(
      `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want}): set apiVersion: ${want}`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== expectKind) {
    throw badRequest(
      `the kind in the data (${String(obj.kind)}) does not match the expected kind (${expectKind}): set kind: ${expectKind}`,
    );
  }
  if (obj.metadata !== undefined && !isRecord(obj.metadata)) throw badRequest('metadata must be an object');
}

function validateMeta(def: ResourceDef, obj: UntypedObject, spec = true): StatusCause[] {
  const meta = obj.metadata ?? {};
  const causes: StatusCause[] = [];
  const name = meta.name ?? '';
  if (typeof name !== 'string' || !name)
    causes.push({
      reason: 'FieldValueRequired',
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
    });
  else causes.push(...(def.validateName ?? checkSubdomain)(name, 'metadata.name'));
  causes.push(
    ...checkLabels(meta.labels, 'metadata.labels'),
    ...checkAnnotations(meta.annotations, 'metadata.annotations'),
  );
  if (
    meta.finalizers !== undefined &&
    !(Array.isArray(meta.finalizers) && meta.finalizers.every((f) => typeof f === 'string'))
  ) {
    causes.push({
      reason: 'FieldValueTypeInvalid',
      field: 'metadata.finalizers',
      message: 'must be a list of strings',
    });
  }
  if (spec) causes.push(...(def.validate?.(obj) ?? []));
  return causes;
}

function fail(def: ResourceDef, obj: UntypedObject, causes: StatusCause[]): never {
  throw invalid(def.kind, def.group, String(obj.metadata?.name ?? obj.metadata?.generateName ?? ''), causes);
}

/** Everything but metadata and status, to decide whether `generation` moves. */
function specOf(def: ResourceDef, obj: UntypedObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(def.statusField ? (rest.spec ?? null) : rest);
}

/**
 * Turns a create body into the object to store: type meta, name (from generateName), namespace,
 * uid, creationTimestamp, generation, defaults; a reset status for controller-owned kinds.
 * Throws 400 for wrong type or namespace and 422 Invalid with causes for bad fields.
 */
export function prepareCreate(
  def: ResourceDef,
  body: UntypedObject,
  namespace: string | undefined,
  now: Date,
): UntypedObject {
  checkTypeMeta(def, body);
  const meta: UntypedMeta = { ...(body.metadata ?? {}) };
  if (def.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== namespace) {
      throw badRequest(
        `the namespace of the provided object (${String(meta.namespace)}) does not match the namespace sent on the request (${String(namespace)})`,
      );
    }
    meta.namespace = namespace;
  } else delete meta.namespace;
  if (!meta.name && typeof meta.generateName === 'string' && meta.generateName)
    meta.name = generateName(meta.generateName);
  meta.uid = randomUUID();
  meta.creationTimestamp = timestamp(now);
  meta.generation = 1;
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.managedFields;
  delete meta.selfLink;
  const obj: UntypedObject = { ...body, apiVersion: apiVersionOf(def), kind: def.kind, metadata: meta };
  if (def.statusField && def.kind !== 'Node') delete obj.status;
  def.defaults?.(obj);
  const causes = validateMeta(def, obj);
  if (causes.length === 0 && def.validateWrite) causes.push(...def.validateWrite(obj, undefined));
  if (causes.length) fail(def, obj, causes);
  return obj;
}

/**
 * Merges an update (PUT or patched object) onto the stored one: keeps identity metadata, splits
 * spec and status (`subresource` "status" changes only status; the main resource never does),
 * checks optimistic concurrency and bumps `generation` when the spec changed.
 */
export function prepareUpdate(
  def: ResourceDef,
  body: UntypedObject,
  old: UntypedObject,
  subresource: string | undefined,
): UntypedObject {
  checkTypeMeta(def, body);
  const oldMeta = old.metadata ?? {};
  const bodyMeta = body.metadata ?? {};
  if (bodyMeta.name !== undefined && bodyMeta.name !== oldMeta.name) {
    throw badRequest(
      `the name of the object (${String(bodyMeta.name)}) does not match the name on the URL (${String(oldMeta.name)})`,
    );
  }
  if (def.namespaced && bodyMeta.namespace !== undefined && bodyMeta.namespace !== oldMeta.namespace) {
    throw badRequest(
      `the namespace of the provided object (${String(bodyMeta.namespace)}) does not match the namespace sent on the request (${String(oldMeta.namespace)})`,
    );
  }
  if (
    bodyMeta.resourceVersion !== undefined &&
    bodyMeta.resourceVersion !== '' &&
    bodyMeta.resourceVersion !== oldMeta.resourceVersion
  ) {
    throw conflict(
      { group: def.group, resource: def.plural },
      String(oldMeta.name),
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }
  let obj: UntypedObject;
  if (subresource === 'status' || subresource === 'approval') {
    obj = { ...old, status: body.status };
    def.prepareSubresource?.(subresource, obj, old);
  } else {
    const meta: UntypedMeta = {
      ...bodyMeta,
      name: oldMeta.name,
      uid: oldMeta.uid,
      creationTimestamp: oldMeta.creationTimestamp,
      generation: oldMeta.generation,
      resourceVersion: oldMeta.resourceVersion,
    };
    if (def.namespaced) meta.namespace = oldMeta.namespace;
    if (oldMeta.deletionTimestamp) {
      meta.deletionTimestamp = oldMeta.deletionTimestamp;
      meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    // A tracked write sets them afterwards (field-tracking.ts); the client's are never taken as sent.
    if (oldMeta.managedFields === undefined) delete meta.managedFields;
    else meta.managedFields = oldMeta.managedFields;
    obj = { ...body, apiVersion: apiVersionOf(def), kind: def.kind, metadata: meta };
    if (def.statusField) {
      if (old.status === undefined) delete obj.status;
      else obj.status = old.status;
    }
  }
  const statusOnly = subresource === 'status' || subresource === 'approval';
  if (!statusOnly) def.prepareForUpdate?.(obj, old);
  def.defaults?.(obj);
  // A status update does not re-validate the spec (as kube's ValidatePodStatusUpdate): an object
  // stored before a validation rule existed must still get its status written by its agent.
  const causes = [...validateMeta(def, obj, !statusOnly), ...(def.validateUpdate?.(obj, old) ?? [])];
  if (causes.length === 0 && def.validateWrite) causes.push(...def.validateWrite(obj, old));
  if (causes.length) fail(def, obj, causes);
  if (specOf(def, obj) !== specOf(def, old)) {
    obj.metadata = { ...obj.metadata, generation: (oldMeta.generation ?? 1) + 1 };
  }
  return obj;
}

/** Thrown when an object would exceed the store's size limit. */
export function objectTooLarge(size: number, max: number): ApiError {
  return new ApiError(
    413,
    'RequestEntityTooLarge',
    `object of ${size} bytes is larger than the limit of ${max} bytes: store large data elsewhere`,
  );
}
