import { type CelMap, CelScalar, celFunc, celMap } from '@bufbuild/cel';
import { RE2JS } from '@bufbuild/re2';
import type { CelMeter } from './cel-cost.js';

/**
 * The meter of the evaluation in progress. Evaluation is synchronous, so one module-level slot is
 * enough; `withMeter` sets it around each call.
 */
let current: CelMeter | undefined;

/** Runs `fn` with `meter` charged by the library functions. */
export function withMeter<T>(meter: CelMeter, fn: () => T): T {
  const outer = current;
  current = meter;
  try {
    return fn();
  } finally {
    current = outer;
  }
}

/** Charges the evaluation in progress (a no-op outside `withMeter`). */
export function charge(units: number): void {
  current?.charge(units);
}

/** The meter of the evaluation in progress, if any. */
export function currentMeter(): CelMeter | undefined {
  return current;
}

/**
 * Units for one library call that parses a string (`url`, `ip`, `quantity`, `find`, ...): they
 * take 2–5 µs where a unit is about 0.4 µs of work (measured in the notes of issue #13).
 */
export const LIBRARY_CALL_UNITS = 8;

/** Charges a library call reading `text`: LIBRARY_CALL_UNITS plus one per 64 characters. */
export function chargeText(text: string): void {
  charge(LIBRARY_CALL_UNITS + (text.length >> 6));
}

const patterns = new Map<string, RE2JS>();

/** A compiled RE2 pattern (linear time, no backtracking), cached. Throws on a bad pattern. */
export function re2(pattern: string): RE2JS {
  let re = patterns.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    if (patterns.size >= 256) patterns.delete(patterns.keys().next().value as string);
    patterns.set(pattern, re);
  }
  return re;
}

/**
 * Library values (quantity, URL, IP, CIDR). @bufbuild/cel only carries its own value kinds, so
 * each is a one-entry CEL map `{'@<kind>': canonical string}` the library passes through as DYN;
 * the parsed value hangs off the map object in a WeakMap the library's methods look up. `==`
 * compares the maps, so two values are equal when their canonical forms are (`quantity('1') ==
 * quantity('1000m')`), and a map a rule writes by hand is never taken for one.
 */
const parsed = new WeakMap<object, { kind: string; value: unknown; text: string | undefined }>();

/**
 * Wraps `value` of `kind` (canonical form `canonical`) as a CEL value; `text` is what `string(v)`
 * gives (upstream converts IPs, CIDRs and URLs to strings, not quantities or formats).
 */
export function wrap(kind: string, canonical: string, value: unknown, text?: string): CelMap {
  const v = celMap(new Map([[`@${kind}`, canonical]]));
  parsed.set(v, { kind, value, text });
  return v;
}

/** `string(v)` for library values (the standard overloads handle the CEL types). */
export const stringOfLibraryValue = celFunc('string', [CelScalar.DYN], CelScalar.STRING, (v) => {
  const text = typeof v === 'object' && v !== null ? parsed.get(v)?.text : undefined;
  if (text === undefined) throw new Error('no such overload');
  return text;
});

/** The `kind` value `v` wraps, or undefined when `v` is something else. */
export function unwrap<T>(kind: string, v: unknown): T | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const p = parsed.get(v);
  return p?.kind === kind ? (p.value as T) : undefined;
}

/** The `kind` value `v` wraps; upstream's "no such overload" otherwise. */
export function need<T>(kind: string, v: unknown): T {
  const x = unwrap<T>(kind, v);
  if (x === undefined) throw new Error('no such overload');
  return x;
}
