import { type Document, isMap, isSeq, parseDocument, type YAMLMap, YAMLSeq } from 'yaml';

/**
 * In-place edits of one kubeconfig file through the `yaml` Document API, so comments, key order
 * and fields tugboat does not know (extensions, preferences, exec plugins) survive a write.
 */

/** The three named lists of a kubeconfig and the field each entry keeps its body in. */
export const KUBECONFIG_LISTS = [
  ['clusters', 'cluster'],
  ['users', 'user'],
  ['contexts', 'context'],
] as const;

export type KubeconfigList = (typeof KUBECONFIG_LISTS)[number][0];

/** The name of the context extension that marks a context as tugboat's (kubectl keeps extensions). */
export const TUGBOAT_EXTENSION = 'tugboat';

/** A kubeconfig entry: `{ name, cluster|user|context: {...} }`. */
export type KubeconfigEntry = Record<string, unknown> & { readonly name: string };

/** Parses kubeconfig text (empty for a new file); throws a message naming `what` when it is not a mapping. */
export function parseKubeconfigDocument(text: string, what: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new Error(`${what} is not valid YAML (${doc.errors[0]?.message}): fix or move it, then retry`);
  }
  if (doc.contents === null || doc.contents === undefined) {
    doc.contents = doc.createNode({ apiVersion: 'v1', kind: 'Config', preferences: {} }) as never;
  } else if (!isMap(doc.contents)) {
    throw new Error(`${what} is not a YAML mapping: fix or move it, then retry`);
  }
  return doc;
}

function listOf(doc: Document, list: KubeconfigList): YAMLSeq | undefined {
  const node = doc.get(list, true);
  return isSeq(node) ? node : undefined;
}

function nameOf(item: unknown): unknown {
  return isMap(item) ? item.get('name') : undefined;
}

/** Names of the entries in one list of the document. */
export function entryNames(doc: Document, list: KubeconfigList): string[] {
  return (listOf(doc, list)?.items ?? []).map(nameOf).filter((n): n is string => typeof n === 'string');
}

/** The plain value of the named entry, or undefined. */
export function findEntry(
  doc: Document,
  list: KubeconfigList,
  name: string,
): Record<string, unknown> | undefined {
  const item = listOf(doc, list)?.items.find((i) => nameOf(i) === name);
  return isMap(item) ? (item.toJSON() as Record<string, unknown>) : undefined;
}

/**
 * Replaces the entry with `entry.name` (keeping the entry's node, so comments on it stay) or
 * appends it; creates the list when it is missing or `null` (as kubectl writes `users: null`).
 */
export function upsertEntry(doc: Document, list: KubeconfigList, entry: KubeconfigEntry): void {
  let seq = listOf(doc, list);
  if (!seq) {
    seq = new YAMLSeq();
    doc.set(list, seq);
  }
  const existing = seq.items.find((i) => nameOf(i) === entry.name);
  if (isMap(existing)) {
    for (const [key, value] of Object.entries(entry)) {
      if (key !== 'name') existing.set(key, doc.createNode(value));
    }
    return;
  }
  seq.items.push(doc.createNode(entry) as YAMLMap);
}

/** Removes the named entry; true when there was one. */
export function removeEntry(doc: Document, list: KubeconfigList, name: string): boolean {
  const seq = listOf(doc, list);
  const index = seq?.items.findIndex((i) => nameOf(i) === name) ?? -1;
  if (!seq || index < 0) return false;
  seq.items.splice(index, 1);
  return true;
}

export function currentContext(doc: Document): string | undefined {
  const value = doc.get('current-context');
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function setCurrentContext(doc: Document, name: string | undefined): void {
  if (name === undefined) doc.delete('current-context');
  else doc.set('current-context', name);
}

/** The tugboat extension of a context entry: `{ 'previous-context'?: string }`, or undefined when not ours. */
export function tugboatExtension(
  context: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  const body = context?.context as { extensions?: unknown } | undefined;
  const extensions = Array.isArray(body?.extensions) ? (body.extensions as Record<string, unknown>[]) : [];
  const found = extensions.find((e) => e?.name === TUGBOAT_EXTENSION);
  if (!found) return undefined;
  const value = found.extension;
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/**
 * A context body with tugboat's extension set to `value` (other extensions kept): kubectl keeps
 * context extensions when it rewrites the file, so the mark and the remembered previous context
 * survive `kubectl config use-context`.
 */
export function withTugboatExtension(
  body: Record<string, unknown>,
  value: Record<string, unknown>,
): Record<string, unknown> {
  const others = (
    Array.isArray(body.extensions) ? (body.extensions as Record<string, unknown>[]) : []
  ).filter((e) => e?.name !== TUGBOAT_EXTENSION);
  return { ...body, extensions: [...others, { name: TUGBOAT_EXTENSION, extension: value }] };
}
