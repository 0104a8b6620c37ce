import type { KindedResourceType } from '../../client/types.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';

/** One column of a `get` table; `priority: 1` columns only show with `-o wide`. */
export interface TableColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format?: string;
  readonly description: string;
  readonly priority: number;
}

/** Subresources a kind may serve. */
export type Subresource =
  | 'status'
  | 'approval'
  | 'scale'
  | 'binding'
  | 'log'
  | 'exec'
  | 'portforward'
  | 'proxy'
  | 'token'
  | 'eviction';

/** How the API server stores, validates, defaults and prints one resource. */
export interface ResourceDef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Lowercase plural used in URLs, e.g. `deployments`. */
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** Sent as a `Warning` header with every request to this version (a CRD's deprecated version). */
  readonly deprecationWarning?: string;
  readonly subresources: readonly Subresource[];
  /** Fields under which the (controller-owned) status lives; updated only through `/status`. */
  readonly statusField?: 'status';
  /** Fills in defaults on create and update (mutates `obj`). */
  readonly defaults?: (obj: UntypedObject) => void;
  /**
   * As a strategy's PrepareForUpdate: drops fields of `obj` that the change from `old` made stale
   * (runs before `defaults` on update, spec updates only).
   */
  readonly prepareForUpdate?: (obj: UntypedObject, old: UntypedObject) => void;
  /**
   * For kinds with more than one status-like subresource (CSR `status` and `approval`): keeps
   * from `old` what `subresource` may not change (`obj` is the stored object with the new status).
   */
  readonly prepareSubresource?: (subresource: string, obj: UntypedObject, old: UntypedObject) => void;
  /** Returns field problems of the whole object; empty when valid. */
  readonly validate?: (obj: UntypedObject) => StatusCause[];
  /**
   * Checks run on every write once the object is otherwise valid, status writes included, with
   * the stored object on update (a CRD's x-kubernetes-validations rules).
   */
  readonly validateWrite?: (obj: UntypedObject, old: UntypedObject | undefined) => StatusCause[];
  /** Extra checks comparing an update with the stored object (immutable fields). */
  readonly validateUpdate?: (obj: UntypedObject, old: UntypedObject) => StatusCause[];
  /** Every table column, in order (usually NAME first and AGE among them). */
  readonly columns: readonly TableColumn[];
  /** Cells for `columns`, in the same order. */
  readonly cells: (obj: UntypedObject, now: Date) => unknown[];
  /** Field selectors this kind accepts beyond metadata.name / metadata.namespace. */
  readonly selectableFields?: readonly string[];
  /** How metadata.name is checked. @default a DNS-1123 subdomain */
  readonly validateName?: (name: string, field: string) => StatusCause[];
  /** Verbs served, when not the usual eight (review kinds are create-only and never stored). */
  readonly verbs?: readonly string[];
  /** For `scale`: where replicas live and how to read the selector. */
  readonly scale?: { readonly specReplicas: string; readonly statusReplicas: string };
  /** Custom resources: the scale subresource's paths (segments under the object), from the CRD. */
  readonly customScale?: {
    readonly specReplicasPath: readonly string[];
    readonly statusReplicasPath: readonly string[];
    readonly labelSelectorPath?: readonly string[];
  };
  /**
   * Custom resources: paths (`spec.x`) of fields the schema does not declare, which defaulting
   * prunes; `fieldValidation` reports them. @default the top-level and metadata checks of api/fields.ts
   */
  readonly unknownFields?: (obj: UntypedObject) => string[];
  /**
   * Custom resources: every served version shares one store prefix (conversion None), so objects
   * read through this def get its apiVersion whatever version wrote them. @default false
   */
  readonly sharedVersions?: boolean;
  /**
   * Built-ins served in more than one version share one store prefix and are stored in one
   * version: reads go through `fromStored`, writes through `toStored` (both pass through objects
   * that are not in the other version). @default stored as served
   */
  readonly conversion?: {
    readonly fromStored: (obj: UntypedObject) => UntypedObject;
    readonly toStored: (obj: UntypedObject) => UntypedObject;
  };
  /**
   * Custom resources: the version's openAPIV3Schema, whose `x-kubernetes-list-type`, `-list-map-keys`
   * and `-map-type` server-side apply merges and tracks fields by. @default the built-in merge keys
   */
  readonly applySchema?: unknown;
  /**
   * Custom resources whose CRD is being deleted: still served (so finalizers can be removed), but
   * creates answer 405 as upstream. @default false
   */
  readonly terminating?: boolean;
}

/** `apiVersion` string of a resource: `v1` for core, `group/version` otherwise. */
export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/**
 * A ResourceDef's identity (group, version, kind, plural, scope) from the client's resource table
 * (src/client/types.ts), the one list of kinds and paths; the registry adds only what the server needs.
 */
export function identity(
  r: KindedResourceType,
): Pick<ResourceDef, 'group' | 'version' | 'kind' | 'plural' | 'namespaced'> {
  return { group: r.group, version: r.version, kind: r.kind, plural: r.resource, namespaced: r.namespaced };
}
