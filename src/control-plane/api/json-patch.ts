import { isRecord } from '../registry/validation.js';
import { MAX_JSON_DEPTH } from './http.js';
import { ApiError, badRequest } from './status.js';

/**
 * RFC 6902 JSON patch with bounded cost. fast-json-patch deep-clones on `copy` and `move` without
 * limit, so 20 `copy` operations of a doubling value in a 2.6 KB patch froze the server for 40 s
 * (issue #19, finding 4). Kubernetes bounds the same attack with `maxJSONPatchOperations` and the
 * json-patch library's accumulated copy size limit; we do both and also bound the element shifts
 * of array inserts and removals, so one request's work stays proportional to its size.
 */

/** Limits of {@link applyJsonPatch}. */
export interface JsonPatchLimits {
  /** More operations answer 413 (kube-apiserver's maxJSONPatchOperations). @default 10_000 */
  readonly maxOperations?: number;
  /** Bytes `copy` operations may add in total; more answers 413 (JSONPatchMaxCopyBytes). @default 3 MiB */
  readonly maxCopyBytes?: number;
  /** Array elements inserts and removals may shift in total; more answers 422. @default 50_000_000 */
  readonly maxArrayShifts?: number;
}

interface Operation {
  readonly op: string;
  readonly path: string[];
  readonly from?: string[];
  readonly value?: unknown;
  readonly text: string;
}

type Container = Record<string, unknown> | unknown[];

/** Applies `patch` (parsed JSON) to `doc`, which it modifies; returns the new document. */
export function applyJsonPatch(doc: unknown, patch: unknown, limits: JsonPatchLimits = {}): unknown {
  if (!Array.isArray(patch))
    throw badRequest(
      'a JSON patch must be a list of operations, e.g. [{"op":"replace","path":"/spec/replicas","value":3}]',
    );
  const maxOps = limits.maxOperations ?? 10_000;
  if (patch.length > maxOps) {
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${maxOps}, got ${patch.length}`,
    );
  }
  const ops = patch.map(parseOperation);
  const budget = {
    copyBytes: limits.maxCopyBytes ?? 3 * 1024 * 1024,
    shifts: limits.maxArrayShifts ?? 50_000_000,
  };
  let root = doc;
  ops.forEach((op, i) => {
    const fail = (why: string, code = 422): never => {
      throw new ApiError(
        code,
        code === 413 ? 'RequestEntityTooLarge' : 'Invalid',
        `${code === 413 ? 'Request entity too large: ' : ''}the JSON patch cannot be applied: ${why} (operation ${i}: ${op.text})`,
      );
    };
    root = applyOne(root, op, budget, fail);
  });
  return root;
}

function applyOne(
  root: unknown,
  op: Operation,
  budget: { copyBytes: number; shifts: number },
  fail: (why: string, code?: number) => never,
): unknown {
  switch (op.op) {
    case 'add':
      return add(root, op.path, op.value, budget, fail);
    case 'remove':
      return remove(root, op.path, budget, fail).root;
    case 'replace': {
      if (op.path.length === 0) return op.value;
      const { parent, key } = locate(root, op.path, fail);
      if (!has(parent, key)) fail(`path ${pointer(op.path)} does not exist`);
      set(parent, key, op.value);
      return root;
    }
    case 'move': {
      const from = op.from!;
      if (from.length < op.path.length && from.every((s, i) => s === op.path[i]))
        fail(`cannot move ${pointer(from)} into its own child ${pointer(op.path)}`);
      const removed = remove(root, from, budget, fail);
      return add(removed.root, op.path, removed.value, budget, fail);
    }
    case 'copy': {
      const value = get(root, op.from!, fail);
      const { size, depth } = measure(value, budget.copyBytes + 1);
      budget.copyBytes -= size;
      if (budget.copyBytes < 0)
        fail('the accumulated size increase of copy operations exceeds the limit of 3 MiB', 413);
      // Copying a value into itself doubles its depth; recursive encoders must never see 1000s of levels.
      if (depth + op.path.length > MAX_JSON_DEPTH)
        fail(`the copy would nest the object deeper than ${MAX_JSON_DEPTH} levels`);
      return add(root, op.path, structuredClone(value), budget, fail);
    }
    case 'test': {
      if (!deepEqual(get(root, op.path, fail), op.value)) fail(`the value at ${pointer(op.path)} differs`);
      return root;
    }
    default:
      return fail(`unknown op "${op.op}"`);
  }
}

function parseOperation(raw: unknown, index: number): Operation {
  const text = JSON.stringify(raw)?.slice(0, 120) ?? String(raw);
  const bad = (why: string) => badRequest(`JSON patch operation ${index} ${why}: ${text}`);
  if (!isRecord(raw)) throw bad('is not an object');
  const { op, path, from } = raw;
  if (typeof op !== 'string') throw bad('has no "op"');
  if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op))
    throw bad(`has an unknown "op" (use add, remove, replace, move, copy or test)`);
  if (typeof path !== 'string') throw bad('has no "path" string');
  if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in raw)) throw bad('has no "value"');
  if ((op === 'move' || op === 'copy') && typeof from !== 'string') throw bad('has no "from" string');
  const parse = (p: string) => {
    if (p !== '' && !p.startsWith('/')) throw bad(`has a path that does not start with "/"`);
    return p === ''
      ? []
      : p
          .slice(1)
          .split('/')
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  };
  return {
    op,
    path: parse(path),
    from: typeof from === 'string' ? parse(from) : undefined,
    value: raw.value,
    text,
  };
}

function pointer(path: readonly string[]): string {
  return path.length ? `/${path.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` : '""';
}

function arrayIndex(arr: unknown[], seg: string, allowEnd: boolean): number | undefined {
  if (allowEnd && seg === '-') return arr.length;
  if (!/^(0|[1-9]\d{0,9})$/.test(seg)) return undefined;
  const i = Number(seg);
  return i < arr.length || (allowEnd && i === arr.length) ? i : undefined;
}

function child(node: unknown, seg: string): unknown {
  if (Array.isArray(node)) {
    const i = arrayIndex(node, seg, false);
    return i === undefined ? undefined : node[i];
  }
  return isRecord(node) && Object.hasOwn(node, seg) ? node[seg] : undefined;
}

function get(root: unknown, path: readonly string[], fail: (why: string) => never): unknown {
  let node = root;
  for (const seg of path) {
    node = child(node, seg);
    if (node === undefined) fail(`path ${pointer(path)} does not exist`);
  }
  return node;
}

function locate(
  root: unknown,
  path: readonly string[],
  fail: (why: string) => never,
): { parent: Container; key: string } {
  const parent = get(root, path.slice(0, -1), fail);
  if (!Array.isArray(parent) && !isRecord(parent))
    fail(`the parent of ${pointer(path)} is neither an object nor a list`);
  return { parent: parent as Container, key: path[path.length - 1]! };
}

function has(parent: Container, key: string): boolean {
  return Array.isArray(parent) ? arrayIndex(parent, key, false) !== undefined : Object.hasOwn(parent, key);
}

/** Sets an own data property, so a key like `__proto__` stays data and never changes a prototype. */
function set(parent: Container, key: string, value: unknown): void {
  if (Array.isArray(parent)) parent[arrayIndex(parent, key, false)!] = value;
  else Object.defineProperty(parent, key, { value, writable: true, enumerable: true, configurable: true });
}

function add(
  root: unknown,
  path: readonly string[],
  value: unknown,
  budget: { shifts: number },
  fail: (why: string) => never,
): unknown {
  if (path.length === 0) return value;
  const { parent, key } = locate(root, path, fail);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, true);
    if (i === undefined) fail(`index ${key} of ${pointer(path)} is out of range (length ${parent.length})`);
    chargeShifts(budget, parent.length - i!, fail);
    parent.splice(i!, 0, value);
  } else set(parent, key, value);
  return root;
}

function remove(
  root: unknown,
  path: readonly string[],
  budget: { shifts: number },
  fail: (why: string) => never,
): { root: unknown; value: unknown } {
  if (path.length === 0) return { root: null, value: root };
  const { parent, key } = locate(root, path, fail);
  if (!has(parent, key)) fail(`path ${pointer(path)} does not exist`);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, false)!;
    chargeShifts(budget, parent.length - i, fail);
    return { root, value: parent.splice(i, 1)[0] };
  }
  const value = parent[key];
  delete parent[key];
  return { root, value };
}

function chargeShifts(budget: { shifts: number }, n: number, fail: (why: string) => never): void {
  budget.shifts -= n;
  if (budget.shifts < 0)
    fail('the operations shift too many list elements: patch large lists with fewer operations');
}

/**
 * Approximate JSON size and nesting depth of `value`, walked without recursion and only until the
 * size passes `limit` (so measuring costs no more than the budget it checks).
 */
export function measure(value: unknown, limit: number): { size: number; depth: number } {
  let size = 0;
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0 && size < limit) {
    const [v, depth] = stack.pop()!;
    deepest = Math.max(deepest, depth);
    if (typeof v === 'string') size += v.length + 2;
    else if (Array.isArray(v)) {
      size += 2 + v.length;
      if (size < limit) for (const item of v) stack.push([item, depth + 1]);
    } else if (isRecord(v)) {
      for (const [k, item] of Object.entries(v)) {
        size += k.length + 4;
        stack.push([item, depth + 1]);
      }
      size += 2;
    } else size += 5;
  }
  return { size, depth: deepest };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}
