import { type CelList, CelScalar, celFunc, isCelList, isCelMap, isCelUint, listType } from '@bufbuild/cel';
import { charge } from './cel-lib-meter.js';

/**
 * The Kubernetes sets library (k8s.io/apiserver/pkg/cel/library/sets.go): `sets.contains`,
 * `sets.equivalent`, `sets.intersects` over two lists, with CEL equality (`1 == 1.0 == 1u`).
 * Elements are reduced to an equality key, so each call is linear in the elements it reads
 * (charged one unit per value, nested values included).
 */

const MAX_DEPTH = 32;

/** A string equal for values CEL calls equal (numbers across int, uint and double; lists; maps). */
function key(v: unknown, depth = 0): string {
  charge(1);
  if (depth > MAX_DEPTH) throw new Error('value nested too deeply');
  if (isCelUint(v)) return key(v.value, depth);
  switch (typeof v) {
    case 'bigint':
      return `n${v}`;
    case 'number':
      return Number.isInteger(v) ? `n${BigInt(v)}` : Number.isNaN(v) ? `nan${Math.random()}` : `n${v}`;
    case 'string':
      return `s${JSON.stringify(v)}`;
    case 'boolean':
      return `b${v}`;
    default:
      break;
  }
  if (v === null || v === undefined) return 'null';
  if (isCelList(v)) {
    const parts: string[] = [];
    for (const x of v) parts.push(key(x, depth + 1));
    return `[${parts.join(',')}]`;
  }
  if (isCelMap(v)) {
    const parts: string[] = [];
    for (const [k, x] of v.entries()) parts.push(`${key(k, depth + 1)}:${key(x, depth + 1)}`);
    return `{${parts.sort().join(',')}}`;
  }
  if (v instanceof Uint8Array) return `y${Buffer.from(v).toString('hex')}`;
  throw new Error('no such overload');
}

function keys(list: CelList): Set<string> {
  const out = new Set<string>();
  for (const v of list) out.add(key(v));
  return out;
}

function containsAll(a: CelList, b: CelList): boolean {
  const have = keys(a);
  for (const v of b) if (!have.has(key(v))) return false;
  return true;
}

const LIST = listType(CelScalar.DYN);

export const setsLibrary = [
  celFunc('sets.contains', [LIST, LIST], CelScalar.BOOL, (a, b) => containsAll(a, b)),
  celFunc('sets.equivalent', [LIST, LIST], CelScalar.BOOL, (a, b) => containsAll(a, b) && containsAll(b, a)),
  celFunc('sets.intersects', [LIST, LIST], CelScalar.BOOL, (a, b) => {
    const have = keys(a);
    for (const v of b) if (have.has(key(v))) return true;
    return false;
  }),
];

/** The namespaced function names of this library. */
export const SETS_FUNCTIONS = ['sets.contains', 'sets.equivalent', 'sets.intersects'];
