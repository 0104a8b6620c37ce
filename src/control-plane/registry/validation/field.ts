import type { StatusCause } from '../../../kube/index.js';

/**
 * Field errors in apimachinery's `field.ErrorList` style: `reason` is the CauseType, `message`
 * the detail as `field.Error.ErrorBody()` renders it ("Invalid value: \"1 core\": ..."), `field`
 * the JSON path (`spec.containers[0].resources.requests.cpu`).
 */

/**
 * A value already rendered as Go prints it (`%#v` of a struct such as `intstr.IntOrString{...}`),
 * for the few messages where upstream shows a Go struct rather than a JSON value.
 */
export class GoValue {
  constructor(readonly text: string) {}
}

/** Go's %#v of a value as field errors print it: strings quoted, numbers bare, objects as JSON. */
function show(value: unknown): string {
  if (value instanceof GoValue) return value.text;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return '"null"';
  return JSON.stringify(value);
}

/** `field.Invalid`. */
export function invalid(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${show(value)}: ${detail}` };
}

/** `field.Required`. */
export function required(field: string, detail = ''): StatusCause {
  return {
    reason: 'FieldValueRequired',
    field,
    message: detail ? `Required value: ${detail}` : 'Required value',
  };
}

/** `field.Forbidden`. */
export function forbidden(field: string, detail: string): StatusCause {
  return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
}

/** `field.Duplicate`. */
export function duplicate(field: string, value: unknown): StatusCause {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${show(value)}` };
}

/** `field.NotFound`. */
export function notFound(field: string, value: unknown): StatusCause {
  return { reason: 'FieldValueNotFound', field, message: `Not found: ${show(value)}` };
}

/** `field.NotSupported`: the value is not one of `supported`. */
export function unsupported(field: string, value: unknown, supported: readonly string[]): StatusCause {
  return {
    reason: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
  };
}

/** `field.TooLong`. */
export function tooLong(field: string, max: number): StatusCause {
  return { reason: 'FieldValueTooLong', field, message: `Too long: must have at most ${max} bytes` };
}

/** JSON type name of a value, as OpenAPI schema errors name it. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** A wrong JSON type, in the words of kube-apiserver's OpenAPI schema validation. */
export function typeInvalid(field: string, value: unknown, want: string): StatusCause {
  const got = jsonType(value);
  return {
    reason: 'FieldValueTypeInvalid',
    field,
    message: `Invalid value: "${got}": ${field} in body must be of type ${want}: "${got}"`,
  };
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when a field is absent (JSON null counts as absent, as in Go's decoding). */
export function absent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

/**
 * The elements of an optional list, or a type error when the value is not a list. Lets callers
 * iterate without trusting the input: `for (const [i, x] of items)`.
 */
export function listAt(value: unknown, field: string, causes: StatusCause[]): Array<[number, unknown]> {
  if (absent(value)) return [];
  if (!Array.isArray(value)) {
    causes.push(typeInvalid(field, value, 'array'));
    return [];
  }
  return value.map((x, i) => [i, x]);
}

/** An optional list of strings: type errors for the items that are not; returns those that are. */
export function stringListAt(value: unknown, field: string, causes: StatusCause[]): string[] {
  const out: string[] = [];
  for (const [i, v] of listAt(value, field, causes)) {
    if (typeof v === 'string') out.push(v);
    else causes.push(typeInvalid(`${field}[${i}]`, v, 'string'));
  }
  return out;
}

/** An optional object, or undefined (with a type error when it is something else). */
export function recordAt(
  value: unknown,
  field: string,
  causes: StatusCause[],
): Record<string, unknown> | undefined {
  if (absent(value)) return undefined;
  if (!isRecord(value)) {
    causes.push(typeInvalid(field, value, 'object'));
    return undefined;
  }
  return value;
}

/** Checks an optional string field; returns it when it is one. */
export function stringAt(value: unknown, field: string, causes: StatusCause[]): string | undefined {
  if (absent(value)) return undefined;
  if (typeof value !== 'string') {
    causes.push(typeInvalid(field, value, 'string'));
    return undefined;
  }
  return value;
}

/** An optional string that must be one of `allowed` (`field.NotSupported` otherwise). */
export function enumAt(
  value: unknown,
  field: string,
  allowed: readonly string[],
  causes: StatusCause[],
): void {
  const s = stringAt(value, field, causes);
  if (s !== undefined && !allowed.includes(s)) causes.push(unsupported(field, s, allowed));
}

/** Checks an optional integer field; returns it when it is one. */
export function intAt(value: unknown, field: string, causes: StatusCause[]): number | undefined {
  if (absent(value)) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    causes.push(typeInvalid(field, value, 'integer'));
    return undefined;
  }
  return value;
}

/** Checks an optional boolean field. */
export function boolAt(value: unknown, field: string, causes: StatusCause[]): void {
  if (!absent(value) && typeof value !== 'boolean') causes.push(typeInvalid(field, value, 'boolean'));
}

/** `ValidateNonnegativeField`: an optional integer that must be >= 0. */
export function nonNegativeAt(value: unknown, field: string, causes: StatusCause[]): void {
  const n = intAt(value, field, causes);
  if (n !== undefined && n < 0) causes.push(invalid(field, n, 'must be greater than or equal to 0'));
}

/** Reads a nested value; undefined when any step is missing. */
export function getPath(obj: unknown, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Returns `obj[key]` as a record, creating it when missing. */
export function ensureRecord(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = obj[key];
  if (isRecord(v)) return v;
  const created: Record<string, unknown> = {};
  obj[key] = created;
  return created;
}
