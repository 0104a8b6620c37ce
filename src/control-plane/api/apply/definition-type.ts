import { isRecord } from '../../registry/validation.js';
import type { TypeNode } from './type-node.js';

/** An OpenAPI v2 schema object of upstream's swagger.json, as JSON. */
export type DefinitionSchema = Record<string, unknown>;

/** Looks a definition up by name (`io.k8s.api.core.v1.ContainerPort`). */
export type DefinitionLookup = (name: string) => DefinitionSchema | undefined;

/**
 * Key fields upstream defaults with `+default` markers in k8s.io/api, which the generated models
 * (and so structured-merge-diff) know but swagger.json does not carry: a port applied without
 * `protocol` is the item keyed `{"containerPort":53,"protocol":"TCP"}`, as upstream.
 */
const KEY_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'io.k8s.api.core.v1.ContainerPort': { protocol: 'TCP' },
  'io.k8s.api.core.v1.ServicePort': { protocol: 'TCP' },
  // `+default=""`: the key of imagePullSecrets, which swagger.json does not mark required.
  'io.k8s.api.core.v1.LocalObjectReference': { name: '' },
};

/** A field the schema does not declare: granular maps, atomic lists (structured-merge-diff's deduced type). */
export const deducedType: TypeNode = {
  field: () => deducedType,
  items: () => deducedType,
};

const REF = /^#\/(definitions|components\/schemas)\//;

/** The definition `schema` points at (`$ref`, or an `allOf` of one `$ref`), with its name. */
function resolve(schema: unknown, lookup: DefinitionLookup): { schema: DefinitionSchema; name?: string } {
  let s: DefinitionSchema = isRecord(schema) ? schema : {};
  for (let hops = 0; hops < 10; hops++) {
    const ref =
      typeof s.$ref === 'string'
        ? s.$ref
        : Array.isArray(s.allOf) && s.allOf.length === 1 && isRecord(s.allOf[0])
          ? s.allOf[0].$ref
          : undefined;
    if (typeof ref !== 'string' || !REF.test(ref)) return { schema: s };
    const name = ref.replace(REF, '');
    const target = lookup(name);
    if (!target) return { schema: {} };
    if (typeof target.$ref !== 'string') return { schema: target, name };
    s = target;
  }
  return { schema: {} };
}

/**
 * List semantics as kube-openapi's schemaconv reads them: `x-kubernetes-list-type` first, else a
 * `merge` patch strategy (keyed by `x-kubernetes-patch-merge-key`, a set without one), else atomic.
 */
function listSemantics(s: DefinitionSchema): { listType?: 'set' | 'map'; keys: string[] } {
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'map') {
    const keys = s['x-kubernetes-list-map-keys'];
    return {
      listType: 'map',
      keys: Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [],
    };
  }
  if (listType === 'set') return { listType: 'set', keys: [] };
  if (listType !== undefined) return { keys: [] };
  const strategy = s['x-kubernetes-patch-strategy'];
  if (typeof strategy === 'string' && strategy.split(',').includes('merge')) {
    const key = s['x-kubernetes-patch-merge-key'];
    return typeof key === 'string' ? { listType: 'map', keys: [key] } : { listType: 'set', keys: [] };
  }
  return { keys: [] };
}

/** Defaults of the key fields of a list's items: the schema's `default`, else upstream's markers. */
function keyDefaults(
  item: { schema: DefinitionSchema; name?: string },
  keys: readonly string[],
): Record<string, unknown> | undefined {
  const props = isRecord(item.schema.properties) ? item.schema.properties : {};
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const p = props[k];
    const d = isRecord(p) && p.default !== undefined ? p.default : KEY_DEFAULTS[item.name ?? '']?.[k];
    if (d !== undefined && d !== null) out[k] = d;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * The apply type of an OpenAPI schema (a built-in kind's definition, or a CRD version's
 * openAPIV3Schema): `$ref`s resolved through `lookup`, list and map semantics from the
 * `x-kubernetes-*` extensions, undeclared fields deduced. `overrides` replaces top-level fields
 * (a CRD's `metadata` is ObjectMeta). Nodes are made lazily and cached per schema object.
 */
export function definitionType(
  schema: unknown,
  lookup: DefinitionLookup,
  overrides: Readonly<Record<string, TypeNode>> = {},
): TypeNode {
  const cache = new WeakMap<object, TypeNode>();
  const nodeOf = (raw: unknown): TypeNode => {
    const resolved = resolve(raw, lookup);
    const s = resolved.schema;
    const cached = cache.get(s);
    if (cached) return cached;
    const props = isRecord(s.properties) ? s.properties : undefined;
    const isList = s.type === 'array' || (s.type === undefined && s.items !== undefined);
    let node: TypeNode;
    if (isList) {
      const { listType, keys } = listSemantics(s);
      const defaults = listType === 'map' ? keyDefaults(resolve(s.items, lookup), keys) : undefined;
      node = {
        atomic: listType === undefined,
        ...(listType ? { listType } : {}),
        ...(listType === 'map' ? { keys: () => keys } : {}),
        ...(defaults ? { keyDefaults: defaults } : {}),
        field: () => deducedType,
        items: () => nodeOf(s.items),
      };
    } else {
      node = {
        atomic: s['x-kubernetes-map-type'] === 'atomic',
        field: (name) => {
          if (props && Object.hasOwn(props, name)) return nodeOf(props[name]);
          if (isRecord(s.additionalProperties)) return nodeOf(s.additionalProperties);
          return deducedType;
        },
        items: () => deducedType,
      };
    }
    cache.set(s, node);
    return node;
  };
  const top = nodeOf(schema);
  if (Object.keys(overrides).length === 0) return top;
  return {
    ...top,
    field: (name) => (Object.hasOwn(overrides, name) ? overrides[name]! : top.field(name)),
  };
}
