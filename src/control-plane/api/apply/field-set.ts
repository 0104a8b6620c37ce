import { isRecord } from '../../registry/validation.js';

/**
 * A set of field paths as a trie keyed by structured-merge-diff's path elements, in the
 * `FieldsV1` spelling: `f:name` (a field), `k:{"name":"web"}` (the list item with these key
 * values), `v:"a"` (a set item). `i:` (an index) is never written: lists without keys are atomic.
 * `member` says whether the node's own path is in the set, not only some path below it.
 */
export class FieldSet {
  member = false;
  /** Made on the first child: most nodes are leaves, and a Map each costs (see bench/apply.md). */
  #children: Map<string, FieldSet> | undefined;

  /** The children by path element (read-only: add with {@link setChild} or {@link child}). */
  get children(): ReadonlyMap<string, FieldSet> {
    return this.#children ?? NO_CHILDREN;
  }

  setChild(element: string, child: FieldSet): void {
    this.#children ??= new Map();
    this.#children.set(element, child);
  }

  deleteChild(element: string): void {
    this.#children?.delete(element);
  }

  /** The child for `element`, made when missing. */
  child(element: string): FieldSet {
    let c = this.#children?.get(element);
    if (!c) {
      c = new FieldSet();
      this.setChild(element, c);
    }
    return c;
  }

  /** The node at `path`, if any path at or below it is in the set. */
  at(path: readonly string[]): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const e of path) {
      node = node.children.get(e);
      if (!node) return undefined;
    }
    return node;
  }

  has(path: readonly string[]): boolean {
    return this.at(path)?.member === true;
  }

  insert(path: readonly string[]): void {
    let node: FieldSet = this;
    for (const e of path) node = node.child(e);
    node.member = true;
  }

  isEmpty(): boolean {
    return !this.member && this.children.size === 0;
  }

  /** Every member path, parents before children. */
  paths(prefix: string[] = [], out: string[][] = []): string[][] {
    if (this.member) out.push(prefix);
    for (const [e, c] of this.children) c.paths([...prefix, e], out);
    return out;
  }
}

const NO_CHILDREN: ReadonlyMap<string, FieldSet> = new Map();

/** Paths in `a` or `b`. */
export function union(a: FieldSet, b: FieldSet): FieldSet {
  const out = new FieldSet();
  out.member = a.member || b.member;
  for (const [e, c] of a.children) {
    const other = b.children.get(e);
    out.setChild(e, other ? union(c, other) : c);
  }
  for (const [e, c] of b.children) if (!a.children.has(e)) out.setChild(e, c);
  return out;
}

/** Paths in `a` and not in `b` (shares unchanged subtrees of `a`). */
export function difference(a: FieldSet, b: FieldSet | undefined): FieldSet {
  if (!b || b.isEmpty()) return a;
  const out = new FieldSet();
  out.member = a.member && !b?.member;
  for (const [e, c] of a.children) {
    const d = difference(c, b?.children.get(e));
    if (!d.isEmpty()) out.setChild(e, d);
  }
  return out;
}

/** Paths in both `a` and `b`. */
export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  const out = new FieldSet();
  out.member = a.member && b.member;
  for (const [e, c] of a.children) {
    const other = b.children.get(e);
    if (!other) continue;
    const i = intersection(c, other);
    if (!i.isEmpty()) out.setChild(e, i);
  }
  return out;
}

/** The set as the `fieldsV1` JSON of a managedFields entry (`.` marks a member with children). */
export function encodeFieldsV1(set: FieldSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (set.member && set.children.size) out['.'] = {};
  const keys = [...set.children.keys()].sort();
  for (const k of keys) out[k] = encodeFieldsV1(set.children.get(k)!);
  return out;
}

/** Longest path, in elements, a decoded fieldsV1 may have (objects are at most this deep too). */
export const MAX_FIELD_DEPTH = 100;

const ELEMENT = /^(f:|k:\{|v:|i:\d+$)/;

/** Reads a `fieldsV1` document; throws an Error naming what is wrong (the caller decides the status). */
export function decodeFieldsV1(doc: unknown, depth = 0): FieldSet {
  if (!isRecord(doc)) throw new Error('fieldsV1 must be a JSON object');
  if (depth > MAX_FIELD_DEPTH) throw new Error(`fieldsV1 is nested deeper than ${MAX_FIELD_DEPTH}`);
  const set = new FieldSet();
  // Leaves are `{}`: the node itself is the member.
  set.member = depth > 0 && Object.keys(doc).length === 0;
  for (const [k, v] of Object.entries(doc)) {
    if (k === '.') {
      set.member = true;
      continue;
    }
    if (!ELEMENT.test(k)) throw new Error(`fieldsV1 has an invalid path element ${JSON.stringify(k)}`);
    if (k.startsWith('k:') || k.startsWith('v:')) {
      try {
        JSON.parse(k.slice(2));
      } catch {
        throw new Error(`fieldsV1 has an invalid path element ${JSON.stringify(k)}`);
      }
    }
    set.setChild(k, decodeFieldsV1(v, depth + 1));
  }
  return set;
}

/** A path as upstream prints it in conflicts: `.spec.containers[name="web"].image`. */
export function pathString(path: readonly string[]): string {
  let out = '';
  for (const e of path) {
    const rest = e.slice(2);
    if (e.startsWith('f:')) out += `.${rest}`;
    else if (e.startsWith('v:')) out += `[=${rest}]`;
    else if (e.startsWith('i:')) out += `[${rest}]`;
    else {
      const keys = JSON.parse(rest) as Record<string, unknown>;
      out += `[${Object.entries(keys)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    }
  }
  return out;
}
