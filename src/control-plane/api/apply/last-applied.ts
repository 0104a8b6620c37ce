import { isRecord } from '../../registry/validation.js';
import { ownedFields, type Writer } from './field-manager.js';
import type { FieldSet } from './field-set.js';
import { sameJson, valueAt } from './object-fields.js';
import type { TypeNode } from './type-node.js';

/** The annotation client-side `kubectl apply` keeps its last configuration in. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Only `kubectl --server-side` (manager `kubectl`) takes over from client-side apply, as upstream. */
const KUBECTL = 'kubectl';

function lastAppliedOf(live: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const meta = isRecord(live?.metadata) ? live.metadata : undefined;
  const annotations = isRecord(meta?.annotations) ? meta.annotations : undefined;
  const text = annotations?.[LAST_APPLIED];
  if (typeof text !== 'string' || !text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Conflicts `kubectl apply --server-side` may override on an object last applied client-side
 * (upstream's lastAppliedManager): the fields of the last-applied configuration, when the live
 * object still holds every value it set. Undefined for other managers or when they differ.
 */
export function allowedByLastApplied(
  live: Record<string, unknown> | undefined,
  type: TypeNode,
  writer: Writer,
): FieldSet | undefined {
  if (writer.manager !== KUBECTL) return undefined;
  const last = lastAppliedOf(live);
  if (!last) return undefined;
  let set: FieldSet;
  try {
    set = ownedFields(last, type, writer);
  } catch {
    return undefined;
  }
  for (const path of set.paths()) {
    if (set.at(path)?.children.size) continue;
    const want = valueAt(last, path, type);
    // An empty map (kubectl writes `annotations: {}`) says nothing about the live one.
    if (isRecord(want) && Object.keys(want).length === 0) continue;
    if (!sameJson(want, valueAt(live, path, type))) return undefined;
  }
  return set;
}

/**
 * After `kubectl apply --server-side` on an object that carries the last-applied annotation, the
 * annotation holds the new configuration (upstream's lastAppliedUpdater), so a later client-side
 * apply computes its patch from what was applied last.
 */
export function updateLastApplied(
  merged: Record<string, unknown>,
  live: Record<string, unknown> | undefined,
  config: Record<string, unknown>,
  writer: Writer,
): void {
  if (writer.manager !== KUBECTL || !lastAppliedOf(live)) return;
  const meta = isRecord(merged.metadata) ? merged.metadata : {};
  const annotations = isRecord(meta.annotations) ? { ...meta.annotations } : {};
  const applied = structuredClone(config);
  const appliedMeta = isRecord(applied.metadata) ? applied.metadata : undefined;
  if (isRecord(appliedMeta?.annotations)) delete appliedMeta.annotations[LAST_APPLIED];
  annotations[LAST_APPLIED] = JSON.stringify(applied);
  merged.metadata = { ...meta, annotations };
}
