import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { builtinDefinition, builtinDefinitionName } from '../openapi/builtin-definitions.js';
import type { ResourceDef } from '../registry/types.js';
import { apiVersionOf } from '../registry/types.js';
import { definitionType } from './apply/definition-type.js';
import { ApplyError } from './apply/errors.js';
import { updateEntries, type Writer } from './apply/field-manager.js';
import {
  capUpdateEntries,
  encodeManagedFields,
  type ManagedEntry,
  startingEntries,
} from './apply/managed-fields.js';
import { builtinType, type TypeNode } from './apply/type-node.js';
import { timestamp } from './lifecycle.js';
import { ApiError, invalid } from './status.js';

/** Who a write's managedFields entry is for (see {@link fieldManagerOf}). */
export interface FieldTracking {
  readonly manager: string;
  /** `status` or `scale` for writes through those subresources. @default the main resource */
  readonly subresource?: string;
  /** Entries an apply already decided; written as they are instead of an Update entry. */
  readonly decided?: () => ManagedEntry[] | undefined;
}

/** Longest field manager name (upstream's FieldManagerMaxLength). */
export const MAX_FIELD_MANAGER_LENGTH = 128;

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** The part of a User-Agent before its first `/`, printable characters only, at most 128 bytes. */
export function managerFromUserAgent(userAgent: string | undefined): string {
  let out = '';
  for (const ch of (userAgent ?? '').split('/')[0]!) {
    if (!PRINTABLE.test(ch)) continue;
    if (Buffer.byteLength(out + ch) > MAX_FIELD_MANAGER_LENGTH) break;
    out += ch;
  }
  return out;
}

/**
 * The write's field manager: the `fieldManager` query parameter, else (except for apply, where it
 * is required) derived from the User-Agent as kube-apiserver does. Bad values are 422 on the
 * request's options kind (`PatchOptions.meta.k8s.io "" is invalid: fieldManager: ...`).
 */
export function fieldManagerOf(
  query: URLSearchParams,
  userAgent: string | undefined,
  optionsKind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions',
  apply: boolean,
): string {
  const given = query.get('fieldManager') ?? '';
  const causes: StatusCause[] = [];
  if (optionsKind === 'PatchOptions' && !apply && query.has('force'))
    causes.push({
      reason: 'FieldValueForbidden',
      field: 'force',
      message: 'Forbidden: may not be specified for non-apply patch',
    });
  if (apply && !given)
    causes.push({
      reason: 'FieldValueRequired',
      field: 'fieldManager',
      message: 'Required value: is required for apply patch',
    });
  if (Buffer.byteLength(given) > MAX_FIELD_MANAGER_LENGTH)
    causes.push({
      reason: 'FieldValueTooLong',
      field: 'fieldManager',
      message: `Too long: may not be more than ${MAX_FIELD_MANAGER_LENGTH} bytes`,
    });
  [...given].forEach((ch, i) => {
    if (!PRINTABLE.test(ch))
      causes.push({
        reason: 'FieldValueInvalid',
        field: `fieldManager[${i}]`,
        message: `Invalid value: ${JSON.stringify(given)}: all characters must be printable`,
      });
  });
  if (causes.length) throw invalid(optionsKind, 'meta.k8s.io', '', causes);
  return given || managerFromUserAgent(userAgent);
}

const OBJECT_META_REF = { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' };

const applyTypes = new WeakMap<ResourceDef, TypeNode>();

/**
 * The apply types of a resource, from upstream's schemas as structured-merge-diff reads them: a
 * built-in kind's definition (1.36 swagger.json: `x-kubernetes-list-map-keys` with all their keys,
 * list and map types), a CRD version's schema with ObjectMeta for metadata. Kinds without a
 * definition (metrics) fall back to the strategic-merge keys by field name.
 */
export function applyTypeOf(def: ResourceDef): TypeNode {
  let type = applyTypes.get(def);
  if (type) return type;
  const meta = definitionType(OBJECT_META_REF, builtinDefinition);
  if (def.applySchema) type = definitionType(def.applySchema, builtinDefinition, { metadata: meta });
  else {
    const name = builtinDefinitionName(def.group, def.version, def.kind);
    type = name ? definitionType({ $ref: `#/definitions/${name}` }, builtinDefinition) : builtinType;
  }
  applyTypes.set(def, type);
  return type;
}

/** The writer of a tracked write. */
export function writerOf(def: ResourceDef, tracking: FieldTracking, now: Date): Writer {
  return {
    manager: tracking.manager,
    apiVersion: apiVersionOf(def),
    time: timestamp(now),
    ...(tracking.subresource ? { subresource: tracking.subresource } : {}),
    splitStatus: def.statusField !== undefined,
  };
}

/** An ApplyError as the Kubernetes Status the client sees. */
export function asApiError(err: unknown): unknown {
  if (!(err instanceof ApplyError)) return err;
  if (err.code === 409) return new ApiError(409, 'Conflict', err.message, { causes: [...err.causes] });
  if (err.code === 400) return new ApiError(400, 'BadRequest', err.message);
  return new ApiError(
    422,
    'Invalid',
    err.message,
    err.causes.length ? { causes: [...err.causes] } : undefined,
  );
}

/**
 * Sets `after.metadata.managedFields` for a tracked write: the entries an apply decided, or those
 * the write starts from (see {@link startingEntries}) updated with what it changed.
 */
export function recordManagedFields(
  def: ResourceDef,
  before: UntypedObject | undefined,
  after: UntypedObject,
  sent: unknown,
  tracking: FieldTracking,
  now: Date,
): void {
  let entries = tracking.decided?.();
  if (!entries) {
    try {
      const start = startingEntries(sent, before?.metadata?.managedFields, tracking.subresource);
      entries = updateEntries(start, before ?? {}, after, applyTypeOf(def), writerOf(def, tracking, now));
    } catch {
      // As upstream's UpdateNoErrors: an update is never refused for its bookkeeping; entries that
      // cannot be worked out (an object nested past the field-set depth) are dropped, not kept stale.
      entries = [];
    }
  }
  const encoded = encodeManagedFields(capUpdateEntries(entries));
  const meta = { ...after.metadata };
  if (encoded.length) meta.managedFields = encoded as NonNullable<typeof meta.managedFields>;
  else delete meta.managedFields;
  after.metadata = meta;
}
