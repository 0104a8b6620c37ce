import { duplicateFieldPaths } from './duplicate-fields.js';

/** A YAML text parsed leniently: its value (the last of repeated keys wins) and the repeats. */
export interface LenientYaml {
  readonly value: unknown;
  /** go-yaml's words for each repeated key, in document order: `line 5: key "name" already set in map`. */
  readonly duplicates: string[];
}

/**
 * Parses one YAML document as kube-apiserver's non-strict decoder does (a repeated key keeps its
 * last value) and lists the repeats as its strict decoder (go-yaml) words them. Throws the yaml
 * library's error for text that is not YAML; aliases are capped by `maxAliasCount`.
 */
export async function parseYamlLeniently(text: string, maxAliasCount = 100): Promise<LenientYaml> {
  const { LineCounter, isMap, isScalar, parseDocument, visit } = await import('yaml');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  if (doc.errors.length) throw doc.errors[0];
  const found: Array<{ offset: number; text: string }> = [];
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        const name = typeof key === 'string' ? key : JSON.stringify(key);
        if (seen.has(name) && isScalar(pair.key)) {
          const offset = pair.key.range?.[0] ?? 0;
          const shown = typeof key === 'string' ? JSON.stringify(key) : String(key);
          found.push({ offset, text: `line ${lines.linePos(offset).line}: key ${shown} already set in map` });
        }
        seen.add(name);
      }
    },
  });
  found.sort((a, b) => a.offset - b.offset);
  return { value: doc.toJS({ maxAliasCount }), duplicates: found.map((f) => f.text) };
}

/** go-yaml's aggregate of the repeats, as the strict decoder's error reads. */
export function yamlUnmarshalErrors(duplicates: readonly string[]): string {
  return `yaml: unmarshal errors:\n  ${duplicates.join('\n  ')}`;
}

/** Repeated keys of a request body, found before it was converted or rewritten. */
export interface BodyDuplicates {
  /** go-yaml's lines, when the body was YAML. */
  readonly yaml: readonly string[];
  /** Paths of keys the body's JSON repeats, when it was JSON. */
  readonly json: readonly string[];
}

const remembered = new WeakMap<Buffer, BodyDuplicates>();

/** Remembers the repeated keys of the YAML body `json` was converted from (see {@link bodyDuplicatesOf}). */
export function rememberYamlDuplicates(json: Buffer, duplicates: readonly string[]): Buffer {
  if (duplicates.length) remembered.set(json, { yaml: duplicates, json: [] });
  return json;
}

/**
 * The repeated keys of `body`: those remembered when it was made from another body, else the
 * JSON text's own (`body` must be JSON that `JSON.parse` accepted).
 */
export function bodyDuplicatesOf(body: Buffer): BodyDuplicates {
  return remembered.get(body) ?? { yaml: [], json: duplicateFieldPaths(body.toString('utf8')) };
}

/**
 * `rewritten` (a body admission re-serialized, e.g. a pod with its service account) keeps the
 * repeated keys of `original`, which re-serializing dropped, for fieldValidation to report.
 */
export function carryDuplicates(original: Buffer, rewritten: Buffer): Buffer {
  const found = bodyDuplicatesOf(original);
  if (found.yaml.length || found.json.length) remembered.set(rewritten, found);
  return rewritten;
}
