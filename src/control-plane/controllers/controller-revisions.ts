import type { ControllerRevision, KubeObject, PodTemplateSpec } from '../../kube/index.js';
import { clone, controllerRef } from '../machinery/objects.js';
import { apiVersionOf, type ResourceType } from '../machinery/resources.js';
import { type Action, deleteAction } from './actions.js';
import { canonicalJson, templateHash } from './pod-template.js';

/** Label with the revision a pod (and a ControllerRevision) belongs to. */
export const revisionHashLabel = 'controller-revision-hash';

/** Most hash collisions a reconcile resolves before giving up (kube bumps collisionCount once per sync). */
const maxCollisions = 8;

/**
 * The `data` of a StatefulSet's or DaemonSet's revision: the strategic merge patch that puts the
 * template back (`{"spec":{"template":{..., "$patch":"replace"}}}`), keys sorted as Go's
 * json.Marshal sorts them, which is what `kubectl rollout undo` compares and applies.
 */
export function revisionData(template: PodTemplateSpec): Record<string, unknown> {
  const sorted = JSON.parse(canonicalJson({ ...clone(template), $patch: 'replace' })) as Record<
    string,
    unknown
  >;
  return { spec: { template: sorted } };
}

/** The pod template a revision's data puts back (undefined when the data is not such a patch). */
export function templateOfRevision(rev: ControllerRevision): PodTemplateSpec | undefined {
  const t = (rev.data as { spec?: { template?: unknown } } | undefined)?.spec?.template;
  if (!t || typeof t !== 'object' || Array.isArray(t)) return undefined;
  const { $patch: _p, ...template } = t as Record<string, unknown>;
  return template as unknown as PodTemplateSpec;
}

/** What {@link syncRevisions} decided: writes, and the revision pods should now be made from. */
export interface RevisionSync {
  readonly actions: Action[];
  /** Name of the revision of the owner's current template (`<owner>-<hash>`). */
  readonly updateName: string;
  /** Hash part of {@link updateName}. */
  readonly hash: string;
  /** Revision number the update revision has (after this sync's writes). */
  readonly number: number;
  readonly collisionCount: number;
  /** The owner's revisions as they will be after the writes (the update revision included). */
  readonly revisions: ControllerRevision[];
}

/** Options of {@link syncRevisions}. */
export interface SyncRevisionsOptions {
  readonly owner: KubeObject;
  readonly ownerType: ResourceType;
  readonly template: PodTemplateSpec;
  /** Revisions the owner controls. */
  readonly revisions: readonly ControllerRevision[];
  readonly collisionCount: number;
  /** The value revisions carry in the `controller-revision-hash` label: the name (StatefulSet) or the hash (DaemonSet). */
  readonly labelValue: 'name' | 'hash';
}

/**
 * Keeps one ControllerRevision per distinct template, as kube's history package does: the
 * current template's revision is created with the next number, or, when an older revision holds
 * the same template (a rollback), that revision is renumbered to the next number. A revision of
 * the same name but other data is a hash collision: `collisionCount` goes up and the hash changes.
 */
export function syncRevisions(o: SyncRevisionsOptions): RevisionSync {
  const data = revisionData(o.template);
  const text = canonicalJson(data);
  const revisions = [...o.revisions].sort((a, b) => a.revision - b.revision);
  const max = revisions.at(-1)?.revision ?? 0;
  const ownerName = o.owner.metadata.name ?? '';
  const equal = revisions.filter((r) => canonicalJson(r.data) === text).at(-1);
  if (equal) {
    const hash = equal.metadata.labels?.[revisionHashLabel] ?? '';
    const name = equal.metadata.name ?? '';
    const plainHash = hash.startsWith(`${ownerName}-`) ? hash.slice(ownerName.length + 1) : hash;
    if (equal.revision === max)
      return {
        actions: [],
        updateName: name,
        hash: plainHash,
        number: max,
        collisionCount: o.collisionCount,
        revisions,
      };
    const renumbered = { ...clone(equal), revision: max + 1 };
    return {
      actions: [{ verb: 'update', resource: 'controllerrevisions', object: renumbered }],
      updateName: name,
      hash: plainHash,
      number: max + 1,
      collisionCount: o.collisionCount,
      revisions: [...revisions.filter((r) => r !== equal), renumbered],
    };
  }
  let collisionCount = o.collisionCount;
  let hash = templateHash(o.template, collisionCount);
  for (let i = 0; i < maxCollisions && revisions.some((r) => r.metadata.name === `${ownerName}-${hash}`); i++)
    hash = templateHash(o.template, ++collisionCount);
  const name = `${ownerName}-${hash}`;
  const created: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: o.owner.metadata.namespace ?? 'default',
      labels: {
        ...(o.template.metadata?.labels ?? {}),
        [revisionHashLabel]: o.labelValue === 'name' ? name : hash,
      },
      ...(o.owner.metadata.annotations ? { annotations: { ...o.owner.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(o.owner, apiVersionOf(o.ownerType), o.ownerType.kind)],
    },
    data,
    revision: max + 1,
  };
  return {
    actions: [{ verb: 'create', resource: 'controllerrevisions', object: created }],
    updateName: name,
    hash,
    number: max + 1,
    collisionCount,
    revisions: [...revisions, created],
  };
}

/**
 * Deletes the oldest revisions beyond `limit`, never one in `keep` (the current and update
 * revisions) nor one a live pod still carries in its hash label (kube's truncateHistory).
 */
export function pruneRevisions(
  revisions: readonly ControllerRevision[],
  keep: ReadonlySet<string>,
  limit: number,
): Action[] {
  const candidates = [...revisions]
    .filter((r) => {
      const label = r.metadata.labels?.[revisionHashLabel] ?? '';
      return !keep.has(r.metadata.name ?? '') && !keep.has(label) && r.metadata.uid;
    })
    .sort((a, b) => a.revision - b.revision);
  const excess = candidates.length - Math.max(0, limit);
  return excess > 0 ? candidates.slice(0, excess).map((r) => deleteAction('controllerrevisions', r)) : [];
}
