import { isRecord } from '../../registry/validation.js';
import { ApplyError } from './errors.js';
import { FieldSet, MAX_FIELD_DEPTH, union } from './field-set.js';
import type { TypeNode } from './type-node.js';

function unprocessable(message: string): ApplyError {
  return new ApplyError(422, message);
}

/**
 * The `k:` element of a list-map item: its key fields, sorted, as JSON; a key field the item leaves
 * out takes its default (structured-merge-diff's keys with defaults), else 422.
 */
export function itemKey(
  item: unknown,
  keys: readonly string[],
  where: string,
  defaults?: Readonly<Record<string, unknown>>,
): string {
  if (!isRecord(item)) throw unprocessable(`${where}: an item of a keyed list is not an object`);
  const picked: Record<string, unknown> = {};
  for (const k of [...keys].sort()) {
    const v = item[k] ?? defaults?.[k];
    if (v === undefined || v === null)
      throw unprocessable(
        `${where}: an item has no value for the list's key field "${k}" (and it has no default value)`,
      );
    picked[k] = v;
  }
  return `k:${JSON.stringify(picked)}`;
}

/** The `v:` element of a set item. */
export function setKey(item: unknown): string {
  return `v:${JSON.stringify(item)}`;
}

/**
 * The fields `value` sets, by `type` (structured-merge-diff's toFieldSet): scalars, nulls, empty
 * maps, atomic lists and maps are members; keyed and set list items are members with their fields
 * below. `strict` (an applied configuration): duplicate or missing keys are 422 as upstream's
 * "duplicate entries for key". Otherwise (a stored object, which validation let through with such
 * a list, e.g. an Endpoints `addresses` list that the name-based merge keys take for a Node's) the
 * list is owned whole, as an atomic one.
 */
export function toFieldSet(value: unknown, type: TypeNode, strict = true): FieldSet {
  const set = new FieldSet();
  fill(set, value, type, 0, '', strict);
  return set;
}

/** The path elements of a keyed or set list's items, or undefined when they are not unique. */
function itemElements(
  list: readonly unknown[],
  type: TypeNode,
  where: string,
  strict: boolean,
): string[] | undefined {
  const keys = type.listType === 'map' ? (type.keys?.(list) ?? []) : [];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const v of list) {
    let e: string;
    if (type.listType === 'set') {
      if (isRecord(v) || Array.isArray(v)) {
        if (strict) throw unprocessable(`${where}: an item of a set list must be a scalar`);
        return undefined;
      }
      e = setKey(v);
    } else {
      try {
        e = itemKey(v, keys, where, type.keyDefaults);
      } catch (err) {
        if (strict) throw err;
        return undefined;
      }
    }
    if (seen.has(e)) {
      if (strict) throw unprocessable(`${where}: duplicate entries for key ${e.slice(2)}`);
      return undefined;
    }
    seen.add(e);
    out.push(e);
  }
  return out;
}

function fill(
  set: FieldSet,
  value: unknown,
  type: TypeNode,
  depth: number,
  where: string,
  strict: boolean,
): void {
  if (depth > MAX_FIELD_DEPTH) throw unprocessable(`${where}: nested deeper than ${MAX_FIELD_DEPTH} levels`);
  if (Array.isArray(value)) {
    const elements = type.listType ? itemElements(value, type, where, strict) : undefined;
    if (!elements) {
      set.member = true;
      return;
    }
    const itemType = type.items();
    value.forEach((item, i) => {
      const e = elements[i]!;
      const child = set.child(e);
      child.member = true;
      if (type.listType === 'map') fill(child, item, itemType, depth + 1, `${where}[${e.slice(2)}]`, strict);
    });
    return;
  }
  if (isRecord(value) && !type.atomic) {
    const entries = Object.entries(value);
    if (entries.length === 0) set.member = true;
    for (const [k, v] of entries)
      fill(set.child(`f:${k}`), v, type.field(k), depth + 1, `${where}.${k}`, strict);
    return;
  }
  set.member = true;
}

/** Finds the item of `list` that path element `e` names. */
function findItem(list: readonly unknown[], e: string, type: TypeNode): number {
  if (e.startsWith('v:')) return list.findIndex((v) => setKey(v) === e);
  const keys = type.keys?.(list) ?? [];
  return list.findIndex((item) => {
    try {
      return itemKey(item, keys, '', type.keyDefaults) === e;
    } catch {
      return false;
    }
  });
}

/** The value at `path` (undefined when absent). */
export function valueAt(obj: unknown, path: readonly string[], type: TypeNode): unknown {
  let node: unknown = obj;
  let t = type;
  for (const e of path) {
    if (e.startsWith('f:')) {
      if (!isRecord(node)) return undefined;
      node = node[e.slice(2)];
      t = t.field(e.slice(2));
    } else {
      if (!Array.isArray(node)) return undefined;
      const i = findItem(node, e, t);
      if (i < 0) return undefined;
      node = node[i];
      t = t.items();
    }
  }
  return node;
}

/** Removes the field or item at `path` from `obj` (modified in place); absent paths are ignored. */
export function removeAt(obj: unknown, path: readonly string[], type: TypeNode): void {
  if (path.length === 0) return;
  const last = path[path.length - 1]!;
  let parentType = type;
  for (const e of path.slice(0, -1))
    parentType = e.startsWith('f:') ? parentType.field(e.slice(2)) : parentType.items();
  const parent = valueAt(obj, path.slice(0, -1), type);
  if (last.startsWith('f:')) {
    if (isRecord(parent)) delete parent[last.slice(2)];
  } else if (Array.isArray(parent)) {
    const i = findItem(parent, last, parentType);
    if (i >= 0) parent.splice(i, 1);
  }
}

/**
 * The members of `after` that an update added or changed against `before` (as upstream's
 * Compare: Added ∪ Modified), and the members of `before` it removed.
 */
export function compareSets(
  before: unknown,
  beforeSet: FieldSet,
  after: unknown,
  afterSet: FieldSet,
  type: TypeNode,
): { changed: FieldSet; removed: FieldSet } {
  const out = walkCompare(before, beforeSet, after, afterSet, type);
  return { changed: out.changed ?? new FieldSet(), removed: out.removed ?? new FieldSet() };
}

interface Compared {
  changed?: FieldSet;
  removed?: FieldSet;
}

/** Sets are made only where something changed: most of an object is the same after an update. */
function walkCompare(
  before: unknown,
  b: FieldSet | undefined,
  after: unknown,
  a: FieldSet | undefined,
  type: TypeNode,
): Compared {
  const out: Compared = {};
  const changed = () => {
    out.changed ??= new FieldSet();
    return out.changed;
  };
  const removed = () => {
    out.removed ??= new FieldSet();
    return out.removed;
  };
  if (a?.member && (!b?.member || (a.children.size === 0 && !sameJson(before, after))))
    changed().member = true;
  if (b?.member && !a?.member) removed().member = true;
  if (!a?.children.size && !b?.children.size) return out;
  // A subtree only one side has is wholly added or removed.
  if (!b) {
    if (a) out.changed = union(out.changed ?? new FieldSet(), a);
    return out;
  }
  if (!a) {
    out.removed = union(out.removed ?? new FieldSet(), b);
    return out;
  }
  const beforeChildren = childValues(before, type);
  const afterChildren = childValues(after, type);
  const visit = (e: string) => {
    const t = e.startsWith('f:') ? type.field(e.slice(2)) : type.items();
    const c = walkCompare(
      beforeChildren.get(e),
      b.children.get(e),
      afterChildren.get(e),
      a.children.get(e),
      t,
    );
    if (c.changed) changed().setChild(e, c.changed);
    if (c.removed) removed().setChild(e, c.removed);
  };
  for (const e of a.children.keys()) visit(e);
  for (const e of b.children.keys()) if (!a.children.has(e)) visit(e);
  return out;
}

/**
 * The leaf paths of `set` whose values differ between `x` and `y` (one walk of both objects, lists
 * indexed once: a per-path lookup from the root would be quadratic in list sizes).
 */
export function differingLeaves(
  set: FieldSet,
  x: unknown,
  y: unknown,
  type: TypeNode,
  prefix: string[] = [],
  out: string[][] = [],
): string[][] {
  if (set.member && set.children.size === 0 && !sameJson(x, y)) out.push(prefix);
  if (set.children.size === 0) return out;
  const xs = childValues(x, type);
  const ys = childValues(y, type);
  for (const [e, child] of set.children) {
    const t = e.startsWith('f:') ? type.field(e.slice(2)) : type.items();
    differingLeaves(child, xs.get(e), ys.get(e), t, [...prefix, e], out);
  }
  return out;
}

/** A map or list's children by path element, indexed once so lists of 100,000 items stay linear. */
function childValues(value: unknown, type: TypeNode): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (isRecord(value)) for (const [k, v] of Object.entries(value)) out.set(`f:${k}`, v);
  else if (Array.isArray(value) && type.listType) {
    const keys = type.keys?.(value) ?? [];
    for (const item of value) {
      try {
        out.set(type.listType === 'set' ? setKey(item) : itemKey(item, keys, '', type.keyDefaults), item);
      } catch {
        // An item without its keys has no path; toFieldSet refused it when it was written.
      }
    }
  }
  return out;
}

/** Deep equality of JSON values (key order ignored). */
export function sameJson(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (Array.isArray(x))
    return Array.isArray(y) && x.length === y.length && x.every((v, i) => sameJson(v, y[i]));
  if (isRecord(x) && isRecord(y)) {
    const kx = Object.keys(x);
    if (kx.length !== Object.keys(y).length) return false;
    return kx.every((k) => k in y && sameJson(x[k], y[k]));
  }
  return false;
}
