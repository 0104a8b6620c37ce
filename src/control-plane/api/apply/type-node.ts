import { definitionType } from './definition-type.js';
import { MERGE_KEYS, MERGED_PRIMITIVE_LISTS } from './merge-keys.js';

/**
 * How server-side apply treats one node of an object: a list is atomic (replaced whole, the
 * default, as kube's lists without keys), a set (`x-kubernetes-list-type: set`) or a map keyed by
 * `keys`; a map is granular unless `atomic` (`x-kubernetes-map-type: atomic`, `structType=atomic`).
 */
export interface TypeNode {
  readonly atomic?: boolean;
  readonly listType?: 'set' | 'map';
  /** Key fields of a list-map, given its items (container and service ports differ by kind). */
  keys?(items: readonly unknown[]): readonly string[];
  /** Values of key fields an item may leave out (upstream's defaulted keys, e.g. `protocol: TCP`). */
  readonly keyDefaults?: Readonly<Record<string, unknown>>;
  field(name: string): TypeNode;
  items(): TypeNode;
}

/** Built-in maps replaced whole (LabelSelector is `structType=atomic`, Service's selector `mapType=atomic`). */
const ATOMIC_FIELDS = new Set(['selector', 'labelSelector', 'namespaceSelector', 'nodeSelectorTerms']);

/**
 * Built-in kinds by field name, as strategic merge patch decides its merge keys (strategic-merge.ts
 * holds the `patchMergeKey` table): the names are unique enough across the served kinds.
 */
const builtinNodes = new Map<string | undefined, TypeNode>();

function builtinNode(name: string | undefined): TypeNode {
  // Field names come from objects: only the names the tables know get a node of their own.
  const special =
    name !== undefined &&
    (Object.hasOwn(MERGE_KEYS, name) || MERGED_PRIMITIVE_LISTS.has(name) || ATOMIC_FIELDS.has(name));
  const id = special ? name : undefined;
  let node = builtinNodes.get(id);
  if (!node) {
    node = makeBuiltinNode(id);
    builtinNodes.set(id, node);
  }
  return node;
}

function makeBuiltinNode(name: string | undefined): TypeNode {
  const key = name === undefined ? undefined : MERGE_KEYS[name];
  const set = name !== undefined && MERGED_PRIMITIVE_LISTS.has(name);
  return {
    atomic: name !== undefined && ATOMIC_FIELDS.has(name),
    listType: key ? 'map' : set ? 'set' : undefined,
    keys: key ? (items) => [typeof key === 'function' ? key([...items]) : key] : undefined,
    field: (f) => builtinNode(f),
    // Items of a keyed list are structs: their fields are looked up by name again.
    items: () => builtinNode(undefined),
  };
}

/** The type of any built-in object. */
export const builtinType: TypeNode = builtinNode(undefined);

/**
 * A CRD version's structural schema (openAPIV3Schema) as apply types; metadata is ObjectMeta as
 * the built-in merge keys know it (the API server uses upstream's ObjectMeta definition instead).
 */
export function schemaType(schema: unknown): TypeNode {
  return definitionType(schema, () => undefined, { metadata: builtinType.field('metadata') });
}
