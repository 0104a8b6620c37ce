import type { StatusCause } from '../../../kube/index.js';
import { ApplyError } from './errors.js';
import { difference, FieldSet, intersection, pathString, union } from './field-set.js';
import { type ManagedEntry, sameManager } from './managed-fields.js';
import { mergeApplied } from './merge.js';
import { compareSets, differingLeaves, removeAt, toFieldSet } from './object-fields.js';
import type { TypeNode } from './type-node.js';

/** Who writes, and through which endpoint: `status` and `scale` own only what those may change. */
export interface Writer {
  readonly manager: string;
  readonly apiVersion: string;
  /** RFC 3339 time of the write. */
  readonly time: string;
  /** @default the main resource */
  readonly subresource?: string;
  /** Kinds whose status only the status subresource writes. @default false */
  readonly splitStatus?: boolean;
}

/** Metadata that nobody owns (upstream's stripMeta): identity and bookkeeping the server sets. */
export const SERVER_META: readonly string[] = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'managedFields',
];

/**
 * The fields of `obj` a write by `writer` can own; `strict` for an applied configuration (see
 * {@link toFieldSet}).
 */
export function ownedFields(obj: unknown, type: TypeNode, writer: Writer, strict = false): FieldSet {
  const set = toFieldSet(obj, type, strict);
  set.member = false;
  set.deleteChild('f:apiVersion');
  set.deleteChild('f:kind');
  const meta = set.children.get('f:metadata');
  if (meta) {
    for (const f of SERVER_META) meta.deleteChild(`f:${f}`);
    if (meta.isEmpty() || (!meta.children.size && meta.member)) set.deleteChild('f:metadata');
  }
  if (writer.subresource === 'status' || writer.subresource === 'approval') {
    for (const k of [...set.children.keys()]) if (k !== 'f:status') set.deleteChild(k);
  } else if (writer.splitStatus) set.deleteChild('f:status');
  return set;
}

function entryOf(writer: Writer, operation: 'Apply' | 'Update', set: FieldSet): ManagedEntry {
  return {
    manager: writer.manager,
    operation,
    apiVersion: writer.apiVersion,
    time: writer.time,
    ...(writer.subresource ? { subresource: writer.subresource } : {}),
    set,
  };
}

/**
 * Ownership after an update (PUT, a non-apply patch, a status or scale write): the writer's Update
 * entry gains the fields it added or changed and loses those it removed; other managers lose the
 * fields it changed or removed (an update always wins, as upstream's force on Update).
 */
export function updateEntries(
  entries: readonly ManagedEntry[],
  before: unknown,
  after: unknown,
  type: TypeNode,
  writer: Writer,
): ManagedEntry[] {
  const { changed, removed } = compareSets(
    before,
    ownedFields(before, type, writer),
    after,
    ownedFields(after, type, writer),
    type,
  );
  const who = { ...writer, operation: 'Update' as const };
  const lost = union(changed, removed);
  const out = entries
    .filter((e) => !sameManager(e, who))
    .map((e) => ({ ...e, set: difference(e.set, lost) }));
  const mine = entries.find((e) => sameManager(e, who));
  const set = union(difference(mine?.set ?? new FieldSet(), removed), changed);
  // A write that changed nothing leaves the entries (and their times) as they were.
  if (mine && changed.isEmpty() && removed.isEmpty()) return [...entries];
  return [...out, entryOf(writer, 'Update', set)];
}

/** One field another manager owns with a different value than the applied configuration's. */
interface Conflict {
  readonly entry: ManagedEntry;
  readonly path: string[];
}

/** How upstream prints a manager in conflicts (its identifier: no time, no apiVersion for appliers). */
function printManager(e: ManagedEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === 'Update' ? `${s} using ${e.apiVersion}` : s;
}

function conflictError(conflicts: readonly Conflict[]): ApplyError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.entry)}`,
    field: pathString(c.path),
  }));
  if (conflicts.length === 1) {
    const c = conflicts[0]!;
    return new ApplyError(
      409,
      `Apply failed with 1 conflict: conflict with ${printManager(c.entry)}: ${pathString(c.path)}`,
      causes,
    );
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const m = printManager(c.entry);
    byManager.set(m, [...(byManager.get(m) ?? []), pathString(c.path)]);
  }
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${m}:`);
    for (const p of byManager.get(m)!) lines.push(`- ${p}`);
  }
  return new ApplyError(409, `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`, causes);
}

/** What an apply makes: the merged object (before defaulting) and the new entries. */
export interface Applied {
  readonly object: Record<string, unknown>;
  readonly entries: ManagedEntry[];
}

/**
 * Server-side apply of `config` by `writer` onto `live` (undefined when the apply creates it):
 * merges by the schema, refuses (409) to change a value another manager owns unless `force`
 * (which moves those fields to the writer), and removes the fields the writer applied before and
 * applies no more, unless another manager owns them. An object nobody tracked yet is first
 * attributed to `before-first-apply`, as upstream does. Conflicts on `allowed` fields do not stop it.
 */
export function applyEntries(
  stored: readonly ManagedEntry[],
  live: Record<string, unknown> | undefined,
  config: Record<string, unknown>,
  type: TypeNode,
  writer: Writer,
  force: boolean,
  allowed?: FieldSet,
): Applied {
  let entries = [...stored];
  if (live && entries.length === 0) {
    const set = ownedFields(live, type, writer);
    if (!set.isEmpty())
      entries = [{ manager: 'before-first-apply', operation: 'Update', apiVersion: writer.apiVersion, set }];
  }
  const applied = ownedFields(config, type, writer, true);
  const merged = mergeApplied(live ?? {}, config, type) as Record<string, unknown>;
  const who = { ...writer, operation: 'Apply' as const };
  const conflicts: Conflict[] = [];
  for (const e of entries) {
    if (sameManager(e, who)) continue;
    const shared = intersection(e.set, applied);
    if (shared.isEmpty()) continue;
    // Only leaves: an item or map also owned as a whole conflicts through its fields.
    for (const path of differingLeaves(shared, live, merged, type)) {
      if (!applied.at(path)?.children.size) conflicts.push({ entry: e, path });
    }
  }
  // Conflicts on fields in `allowed` (see last-applied.ts) are taken as if forced.
  const blocking = conflicts.filter((c) => !allowed?.has(c.path));
  if (blocking.length && !force) throw conflictError(blocking);
  const lostBy = new Map<ManagedEntry, FieldSet>();
  for (const c of conflicts) {
    const s = lostBy.get(c.entry) ?? new FieldSet();
    s.insert(c.path);
    lostBy.set(c.entry, s);
  }
  const others = entries
    .filter((e) => !sameManager(e, who))
    .map((e) => (lostBy.has(e) ? { ...e, set: difference(e.set, lostBy.get(e)) } : e));
  const previous = entries.find((e) => sameManager(e, who))?.set ?? new FieldSet();
  let othersSet = new FieldSet();
  for (const e of others) othersSet = union(othersSet, e.set);
  for (const path of difference(previous, applied).paths()) {
    // Another manager's field below this one keeps the whole item or map.
    if (othersSet.at(path)) continue;
    removeAt(merged, path, type);
  }
  return { object: merged, entries: [...others, entryOf(writer, 'Apply', applied)] };
}
