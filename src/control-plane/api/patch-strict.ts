import { isRecord } from '../registry/validation.js';
import { duplicateFieldPaths } from './duplicate-fields.js';
import type { PatchType } from './patch.js';
import { ApiError } from './status.js';

/** The fields of a JSON patch operation (RFC 6902). */
const OPERATION_FIELDS = new Set(['op', 'path', 'value', 'from']);

/**
 * What strict decoding finds in a merge, strategic or JSON patch body itself, worded as upstream
 * (sigs.k8s.io/json): repeated keys `duplicate field "spec.paused"`, and for a JSON patch
 * `json patch duplicate field "[1].path"` and `json patch unknown field "[0].foo"`. Only asked
 * for when fieldValidation is Strict or Warn; a body that is not JSON has none.
 */
export function patchProblems(type: Exclude<PatchType, 'apply'>, body: Buffer): string[] {
  const text = body.toString('utf8');
  let ops: unknown;
  try {
    ops = JSON.parse(text);
  } catch {
    // Not JSON: applying the patch answers 400 for it; the scan below needs well-formed text.
    return [];
  }
  const duplicates = duplicateFieldPaths(text).map((path) => `duplicate field "${path}"`);
  if (type !== 'json') return duplicates;
  const out = duplicates.map((d) => `json patch ${d}`);
  if (Array.isArray(ops))
    ops.forEach((op, i) => {
      if (!isRecord(op)) return;
      for (const key of Object.keys(op))
        if (!OPERATION_FIELDS.has(key)) out.push(`json patch unknown field "[${i}].${key}"`);
    });
  return out;
}

/** A float64 as Go's `%v` prints it (shortest digits; exponent form outside 1e-4 ≤ |v| < 1e21). */
function goFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 21) {
    const [mantissa, e] = v.toExponential().split('e');
    const n = Number(e);
    return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(v);
}

/** A decoded JSON value as Go's `%+v` prints a map[string]interface{} (keys sorted). */
export function goValueString(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValueString).join(' ')}]`;
  if (isRecord(v))
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goValueString(v[k])}`)
      .join(' ')}]`;
  if (typeof v === 'number') return goFloat(v);
  return String(v);
}

/** A string quoted as Go's `%q` does for printable text (control characters escaped). */
function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u00([0-1][0-9a-f])/g, '\\x$1');
}

/**
 * The error of a patch that fails Strict field validation, as kube-apiserver's patch handler makes
 * it: 422 Invalid on field `patch`, its value the patched object's JSON (merge and JSON patches)
 * or the strategic patch as Go prints its map, then `strict decoding error: ...`.
 */
export function strictPatchError(
  type: Exclude<PatchType, 'apply'>,
  body: Buffer,
  patched: unknown,
): (detail: string) => ApiError {
  return (detail) => {
    const value =
      type === 'strategic' ? goValueString(JSON.parse(body.toString('utf8'))) : JSON.stringify(patched);
    const message = `Invalid value: ${goQuote(value)}: ${detail}`;
    return new ApiError(422, 'Invalid', ` "" is invalid: patch: ${message}`, {
      causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }],
    });
  };
}
