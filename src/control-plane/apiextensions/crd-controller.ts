import { CoalescingRunner } from '../../coalescing-runner.js';
import type { EventSink } from '../../events.js';
import type { UntypedObject } from '../../kube/index.js';
import type { ResourceCatalog } from '../registry/catalog.js';
import type { ResourceDef } from '../registry/types.js';
import { type Condition, setCondition } from './crd-conditions.js';
import { CLEANUP_FINALIZER, finalizeCrd } from './crd-termination.js';
import { buildCustomResources, namesOf } from './custom-resource.js';
import { isObject } from './schema-types.js';

/** What the reconciler needs from the API server: its store operations, catalog and clock. */
export interface CrdHost {
  readonly catalog: ResourceCatalog;
  readonly now: () => Date;
  readonly events: EventSink;
  /** Every stored CRD: its name and revision, decoded only when asked (most passes skip most). */
  listCrds(): Promise<StoredCrd[]>;
  /** Read-modify-write of a CRD (no admission: this is the server's own controller). */
  update(name: string, mutate: (crd: UntypedObject) => UntypedObject | undefined): Promise<UntypedObject>;
  /**
   * Deletes every object of a custom resource (all namespaces) as a client's delete would, so
   * objects with finalizers only get a deletionTimestamp; resolves true when none is left.
   */
  deleteInstances(def: ResourceDef): Promise<boolean>;
  /** Deletes the CRD for good (its finalizers are gone). */
  remove(crd: UntypedObject): Promise<void>;
}

/** A stored CRD as a pass sees it. */
export interface StoredCrd {
  readonly name: string;
  readonly revision: string;
  read(): UntypedObject;
}

function storageVersion(crd: UntypedObject): string | undefined {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  const v = versions.find((x) => x.storage === true)?.name;
  return typeof v === 'string' ? v : undefined;
}

/** The status a CRD should have once its names are (or are not) accepted. */
function desiredStatus(
  crd: UntypedObject,
  conflict: string | undefined,
  now: string,
): Record<string, unknown> {
  const status = isObject(crd.status) ? crd.status : {};
  let conditions = (Array.isArray(status.conditions) ? status.conditions : []) as Condition[];
  const names = namesOf(crd);
  if (conflict) {
    conditions = setCondition(
      conditions,
      {
        type: 'NamesAccepted',
        status: 'False',
        reason: 'NameConflict',
        message: `"${conflict}" is already in use`,
      },
      now,
    );
    conditions = setCondition(
      conditions,
      { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' },
      now,
    );
  } else {
    conditions = setCondition(
      conditions,
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
      now,
    );
    conditions = setCondition(
      conditions,
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
      now,
    );
  }
  // CEL rules are enforced now: a condition left by an older server goes.
  conditions = conditions.filter((c) => c.type !== 'ValidationRulesNotEnforced');
  const stored = new Set(Array.isArray(status.storedVersions) ? (status.storedVersions as string[]) : []);
  const storage = storageVersion(crd);
  if (storage) stored.add(storage);
  return {
    conditions,
    acceptedNames: conflict
      ? (status.acceptedNames ?? { plural: '', kind: '' })
      : {
          plural: names.plural,
          singular: names.singular,
          kind: names.kind,
          listKind: names.listKind,
          ...(names.shortNames.length ? { shortNames: names.shortNames } : {}),
          ...(names.categories.length ? { categories: names.categories } : {}),
        },
    storedVersions: [...stored],
  };
}

/**
 * Level-triggered reconciler of CustomResourceDefinitions inside the API server (which owns the
 * served-resources catalog): registers each CRD's served versions, writes NamesAccepted /
 * Established / acceptedNames / storedVersions and the cleanup finalizer, and on deletion empties
 * the resource before it stops serving it (crd-termination.ts). One pass at a time;
 * a failing CRD is reported as an event and retried on the next pass, never thrown.
 */
export class CrdReconciler {
  private readonly runner = new CoalescingRunner(() => this.pass());
  /** uid/generation of each CRD whose resources are registered (or refused: see conflicts). */
  private readonly built = new Map<string, string>();
  private readonly conflicts = new Map<string, string | undefined>();
  /** Revision at which each CRD was last found reconciled (skipped while it stays there). */
  private readonly settled = new Map<string, string>();

  constructor(private readonly host: CrdHost) {}

  /** Runs a pass (or one more after the running pass) and resolves when it is done. */
  sync(): Promise<void> {
    return this.runner.run();
  }

  /** Resolves when no pass is running (for shutdown). */
  idle(): Promise<void> {
    return this.runner.idle();
  }

  private async pass(): Promise<void> {
    const crds = await this.host.listCrds();
    const seen = new Set<string>();
    for (const stored of crds) {
      const { name } = stored;
      seen.add(name);
      if (this.settled.get(name) === stored.revision) continue;
      this.settled.delete(name);
      await this.reconcile(stored.read()).then(
        (steady) => {
          if (steady !== undefined) this.settled.set(name, steady);
        },
        (err: unknown) =>
          this.host.events.emit({
            code: 'crd.reconcile.failed',
            level: 'warn',
            message: `customresourcedefinition ${name}: ${err instanceof Error ? err.message : String(err)}`,
            data: { name },
          }),
      );
    }
    for (const owner of this.host.catalog.owners()) if (!seen.has(owner)) this.host.catalog.unregister(owner);
    for (const map of [this.built, this.conflicts, this.settled])
      for (const name of [...map.keys()]) if (!seen.has(name)) map.delete(name);
  }

  /** Reconciles one CRD; returns the revision at which it is steady (undefined: look again next pass). */
  private async reconcile(crd: UntypedObject): Promise<string | undefined> {
    const name = String(crd.metadata?.name);
    const { catalog } = this.host;
    if (crd.metadata?.deletionTimestamp) {
      await finalizeCrd(this.host, crd);
      return undefined;
    }
    // Build and register only when the spec changed (uid + generation): a pass over many large
    // CRDs then costs a list, not a rebuild of every schema.
    const version = `${crd.metadata?.uid}/${crd.metadata?.generation}`;
    let conflict = this.conflicts.get(name);
    if (this.built.get(name) !== version || !catalog.registered(name)) {
      conflict = catalog.register(name, buildCustomResources(crd));
      this.built.set(name, version);
      this.conflicts.set(name, conflict);
    }
    const now = `${this.host.now().toISOString().slice(0, 19)}Z`;
    const status = desiredStatus(crd, conflict, now);
    const finalizers = crd.metadata?.finalizers ?? [];
    const wantFinalizers = finalizers.includes(CLEANUP_FINALIZER)
      ? finalizers
      : [...finalizers, CLEANUP_FINALIZER];
    const steady = conflict ? undefined : crd.metadata?.resourceVersion;
    if (JSON.stringify(status) === JSON.stringify(crd.status) && wantFinalizers === finalizers) return steady;
    const updated = await this.host.update(name, (cur) => {
      if (cur.metadata?.deletionTimestamp) return undefined;
      const curFinalizers = cur.metadata?.finalizers ?? [];
      cur.metadata = {
        ...cur.metadata,
        finalizers: curFinalizers.includes(CLEANUP_FINALIZER)
          ? curFinalizers
          : [...curFinalizers, CLEANUP_FINALIZER],
      };
      cur.status = desiredStatus(cur, conflict, now);
      return cur;
    });
    return conflict || updated.metadata?.deletionTimestamp ? undefined : updated.metadata?.resourceVersion;
  }
}
