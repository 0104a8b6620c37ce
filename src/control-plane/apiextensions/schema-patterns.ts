import { RE2JS } from 're2js';
import type { JsonSchema } from './schema-types.js';

/**
 * Compiled `pattern`s of one schema, by source text. Patterns use RE2 syntax as upstream (Go's
 * regexp) and match in linear time, so a hostile pattern cannot make the server backtrack.
 */
export type CompiledPatterns = Map<string, RE2JS>;

/** Compiles a pattern; the error message on failure, as the CRD validation reports it. */
export function compilePattern(pattern: string): RE2JS | string {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** True when `value` contains a match of `pattern` (JSON Schema patterns are not anchored). */
export function matchesPattern(patterns: CompiledPatterns, pattern: string, value: string): boolean {
  let re = patterns.get(pattern);
  if (!re) {
    const compiled = compilePattern(pattern);
    // A pattern that does not compile was refused with the CRD; never fail a resource over it.
    if (typeof compiled === 'string') return true;
    re = compiled;
    patterns.set(pattern, re);
  }
  return re.matcher(value).find();
}

/** Compiles every pattern in `schema` once (schemas are bounded in size by the CRD validation). */
export function compilePatterns(
  schema: JsonSchema | undefined,
  into: CompiledPatterns = new Map(),
): CompiledPatterns {
  const stack: unknown[] = [schema];
  while (stack.length) {
    const s = stack.pop();
    if (typeof s !== 'object' || s === null) continue;
    if (Array.isArray(s)) {
      stack.push(...s);
      continue;
    }
    const node = s as Record<string, unknown>;
    if (typeof node.pattern === 'string' && !into.has(node.pattern)) {
      const re = compilePattern(node.pattern);
      if (typeof re !== 'string') into.set(node.pattern, re);
    }
    for (const [k, v] of Object.entries(node))
      if (k !== 'default' && k !== 'enum' && k !== 'example') stack.push(v);
  }
  return into;
}
