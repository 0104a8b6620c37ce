import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { fromZodIssues } from './issues.js';
import { resolveClusterSpec } from './resolve.js';
import { clusterSpecSchema } from './schema.js';
import type { ClusterSpec } from './types.js';
import { validateClusterSpec } from './validate.js';

/** The outcome of checking a spec without throwing: the spec, or every issue found. */
export type CheckResult =
  | { readonly ok: true; readonly spec: ClusterSpec }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/**
 * Treats `key:` with no value (YAML null) as an absent key, so a section left with only comments
 * (`api:` followed by commented lines) means "use the defaults" instead of a type error.
 */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, dropNulls(v)]),
  );
}

/** A deep copy of `input` without the unknown keys zod reported. */
function withoutKeys(
  input: unknown,
  issues: readonly { path: readonly PropertyKey[]; keys?: readonly string[] }[],
): unknown {
  const copy = structuredClone(input);
  for (const issue of issues) {
    let node: unknown = copy;
    for (const key of issue.path) node = (node as Record<PropertyKey, unknown>)?.[key];
    if (node && typeof node === 'object') {
      for (const key of issue.keys ?? []) delete (node as Record<string, unknown>)[key];
    }
  }
  return copy;
}

/** Offset of the deepest node on `keys` (a map entry's key, a list item), for line numbers. */
function offsetOf(root: unknown, keys: readonly string[]): number | undefined {
  let node = root;
  let offset: number | undefined;
  for (const key of keys) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (!pair) break;
      offset = isScalar(pair.key) ? pair.key.range?.[0] : offset;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(key)) {
      const item = node.items[Number(key)];
      if (!item) break;
      offset = (item as { range?: [number] }).range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

/**
 * Parses and validates a cluster spec (YAML or JSON text) and reports every issue instead of
 * throwing. Pure: no file, network or AWS access. Issues carry the field path, the bad value,
 * how to fix it and, when known, the line in the file.
 */
export function checkClusterSpec(text: string): CheckResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
        return {
          path: '',
          message: `${where}${e.message
            .split('\n')[0]!
            .replace(/ at line \d+, column \d+:?$/, '')
            .toLowerCase()}: fix the yaml/json syntax`,
        };
      }),
    };
  }
  const input: unknown = dropNulls(doc.toJS());
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return {
      ok: false,
      issues: [
        {
          path: '',
          message:
            'the file must hold a mapping (apiVersion, kind, name, ...): run `tugboat init` for an example',
        },
      ],
    };
  }
  const lineOf = (path: string): string => {
    const offset = offsetOf(doc.contents, path.match(/[^.[\]"]+/g) ?? []);
    return offset === undefined ? '' : ` (line ${lineCounter.linePos(offset).line})`;
  };
  const withLines = (issues: readonly ConfigIssue[]) =>
    issues.map((i) => ({ ...i, message: `${i.message}${i.path ? lineOf(i.path) : ''}` }));

  const parsed = clusterSpecSchema.safeParse(input);
  if (!parsed.success) {
    const issues = fromZodIssues(parsed.error.issues, input);
    // When the only problems are unknown keys, the rest can still be checked: report it all at once.
    if (parsed.error.issues.every((i) => i.code === 'unrecognized_keys')) {
      const pruned = clusterSpecSchema.safeParse(withoutKeys(input, parsed.error.issues));
      if (pruned.success) issues.push(...validateClusterSpec(pruned.data));
    }
    return { ok: false, issues: withLines(issues) };
  }
  const issues = validateClusterSpec(parsed.data);
  if (issues.length > 0) return { ok: false, issues: withLines(issues) };
  return { ok: true, spec: resolveClusterSpec(parsed.data) };
}

/**
 * Parses and validates a cluster spec. Throws `ConfigError` listing every issue (path, bad value,
 * fix) before anything touches AWS.
 * @param file shown in the error message; nothing is read from it
 */
export function parseClusterSpec(text: string, file?: string): ClusterSpec {
  const result = checkClusterSpec(text);
  if (!result.ok) throw new ConfigError(result.issues, file === undefined ? undefined : { file });
  return result.spec;
}

/** Reads, parses and validates the cluster spec at `path` (YAML or JSON). */
export async function loadClusterSpec(path: string): Promise<ClusterSpec> {
  return parseClusterSpec(await readSpecFile(path), path);
}

/**
 * Reads a spec file as text; a file that cannot be read is a ConfigError naming it (as `label`,
 * default the path) and how to fix it.
 */
export async function readSpecFile(path: string, label = path): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : String(code ?? err);
    throw new ConfigError(
      [
        {
          path: '',
          message: `cannot read ${label} (${why}): check the path, or create one with \`tugboat init\``,
        },
      ],
      { file: label },
    );
  }
}
