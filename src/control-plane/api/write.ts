import type { UntypedObject } from '../../kube/index.js';
import { allResources } from '../registry/index.js';
import type { ResourceDef } from '../registry/types.js';
import { isRecord } from '../registry/validation.js';
import { admitCreate, admitUpdate } from './admission.js';
import type { ApiContext } from './context.js';
import { type FieldTracking, recordManagedFields } from './field-tracking.js';
import { prepareCreate, prepareUpdate, timestamp } from './lifecycle.js';
import { resourcePrefix } from './objects.js';
import { allocateServiceFields, serialized } from './service-allocation.js';
import { ApiError, conflict } from './status.js';
import { admitDefaultStorageClass, admitStorageProtection } from './storage-admission.js';

/** Finalizers that hand dependents to the garbage collector (propagationPolicy Foreground / Orphan). */
const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

function nsDef(): ResourceDef {
  return allResources.find((r) => r.plural === 'namespaces')!;
}

function saDef(): ResourceDef {
  return allResources.find((r) => r.plural === 'serviceaccounts')!;
}

/** Creates an object (201), and the `default` ServiceAccount when it is a namespace. */
export async function createObject(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string | undefined,
  body: UntypedObject,
  dryRun = false,
  tracking?: FieldTracking,
): Promise<UntypedObject> {
  const obj = prepareCreate(def, body, namespace, ctx.now());
  if (tracking) recordManagedFields(def, undefined, obj, body.metadata?.managedFields, tracking, ctx.now());
  if (def.plural === 'persistentvolumeclaims' && !def.group) {
    await admitDefaultStorageClass(ctx, obj);
    admitStorageProtection(obj, 'kubernetes.io/pvc-protection');
  }
  if (def.plural === 'persistentvolumes' && !def.group)
    admitStorageProtection(obj, 'kubernetes.io/pv-protection');
  const refund = await admitCreate(ctx, def, namespace, obj, dryRun);
  return storeCreated(ctx, def, obj, dryRun).catch(async (err: unknown) => {
    await refund();
    throw err;
  });
}

async function storeCreated(ctx: ApiContext, def: ResourceDef, obj: UntypedObject, dryRun: boolean) {
  if (def.plural === 'services') {
    // Addresses and node ports are read from the stored Services and written with the new one, in one turn.
    return serialized(async () => {
      await allocateServiceFields(ctx, def, obj, undefined);
      return dryRun ? obj : ctx.resources.create(def, obj);
    });
  }
  if (dryRun) return obj;
  const created = await ctx.resources.create(def, obj);
  if (def.plural === 'namespaces') await ensureDefaultServiceAccount(ctx, String(obj.metadata?.name));
  return created;
}

/** Creates the namespace's `default` ServiceAccount unless it exists. */
export async function ensureDefaultServiceAccount(ctx: ApiContext, namespace: string): Promise<void> {
  const sa = saDef();
  if (await ctx.resources.get(sa, namespace, 'default')) return;
  const obj = prepareCreate(sa, { metadata: { name: 'default' } }, namespace, ctx.now());
  await ctx.resources.create(sa, obj).catch((err: unknown) => {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  });
}

/**
 * Replaces an object (PUT, or a patch result). Removing the last finalizer of an object that is
 * being deleted deletes it, as does clearing the finalizers of a terminating pod that was
 * already released by its node.
 */
export async function updateObject(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string | undefined,
  name: string,
  subresource: string | undefined,
  build: (current: UntypedObject) => UntypedObject | Promise<UntypedObject>,
  dryRun = false,
  tracking?: FieldTracking,
): Promise<UntypedObject> {
  let prepared: UntypedObject | undefined;
  // Quota on what the update grows; a retried attempt gives the previous attempt's charge back.
  let refund = async () => {};
  const write = () =>
    ctx.resources.update(def, namespace, name, async (current) => {
      const next = await build(current);
      prepared = prepareUpdate(def, next, current, subresource);
      if (tracking)
        recordManagedFields(def, current, prepared, next.metadata?.managedFields, tracking, ctx.now());
      if (def.plural === 'services' && subresource === undefined)
        await allocateServiceFields(ctx, def, prepared, current);
      if (subresource === undefined) {
        await refund();
        refund = await admitUpdate(ctx, def, prepared, current, dryRun);
      }
      return dryRun ? undefined : prepared;
    });
  const updated = await (def.plural === 'services' ? serialized(write) : write()).catch(
    async (err: unknown) => {
      await refund();
      throw err;
    },
  );
  if (dryRun) return prepared ?? updated;
  const meta = updated.metadata ?? {};
  const released =
    def.plural !== 'pods' ||
    !meta.deletionGracePeriodSeconds ||
    !(updated.spec as { nodeName?: string })?.nodeName;
  if (meta.deletionTimestamp && !(meta.finalizers ?? []).length && released) {
    await ctx.resources.delete(def, namespace, name, Number(meta.resourceVersion));
  }
  return updated;
}

/** The DeleteOptions the server honours. */
export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
}

/** Reads DeleteOptions from the body and query (`gracePeriodSeconds`, `propagationPolicy`). */
export function parseDeleteOptions(
  body: Record<string, unknown> | undefined,
  query: URLSearchParams,
): DeleteOptions {
  const grace = body?.gracePeriodSeconds ?? query.get('gracePeriodSeconds') ?? undefined;
  const policy =
    body?.propagationPolicy ??
    query.get('propagationPolicy') ??
    (body?.orphanDependents === true ? 'Orphan' : undefined);
  if (policy !== undefined && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
    throw new ApiError(
      400,
      'BadRequest',
      `propagationPolicy ${JSON.stringify(policy)} is not supported: use Orphan, Background or Foreground`,
    );
  }
  const graceNum = grace === undefined || grace === null ? undefined : Number(grace);
  if (graceNum !== undefined && (!Number.isInteger(graceNum) || graceNum < 0)) {
    throw new ApiError(
      400,
      'BadRequest',
      `gracePeriodSeconds ${JSON.stringify(grace)} must be a non-negative integer`,
    );
  }
  const pre = isRecord(body?.preconditions)
    ? (body.preconditions as DeleteOptions['preconditions'])
    : undefined;
  return { gracePeriodSeconds: graceNum, propagationPolicy: policy, preconditions: pre };
}

/** How often a delete is decided again when the object changes under it. */
const MAX_DELETE_ATTEMPTS = 5;

/**
 * Deletes an object. Pods bound to a node get a deletionTimestamp and stay until their node
 * deletes them with grace 0; objects with finalizers stay until those are removed. As in
 * kube-apiserver, Foreground and Orphan add the `foregroundDeletion` / `orphan` finalizer for the
 * garbage collector; Background deletes the owner at once and leaves dependents to the collector.
 */
export async function deleteObject(
  ctx: ApiContext,
  def: ResourceDef,
  namespace: string | undefined,
  name: string,
  options: DeleteOptions,
  attempt = 1,
): Promise<UntypedObject> {
  const ref = { group: def.group, resource: def.plural };
  if (def.plural === 'namespaces' && PROTECTED_NAMESPACES.has(name)) {
    throw new ApiError(
      403,
      'Forbidden',
      `namespaces "${name}" is forbidden: this namespace may not be deleted`,
    );
  }
  const current = await ctx.resources.mustGet(def, namespace, name);
  const meta = current.metadata ?? {};
  if (options.preconditions?.uid && options.preconditions.uid !== meta.uid) {
    throw conflict(
      ref,
      name,
      `Precondition failed: UID in precondition: ${options.preconditions.uid}, UID in object meta: ${meta.uid}`,
    );
  }
  if (
    options.preconditions?.resourceVersion &&
    options.preconditions.resourceVersion !== meta.resourceVersion
  ) {
    throw conflict(
      ref,
      name,
      `Precondition failed: ResourceVersion in precondition: ${options.preconditions.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`,
    );
  }
  const graceful = def.plural === 'pods' ? podGracePeriod(current, options) : 0;
  const finalizers = [...(meta.finalizers ?? [])];
  const policyFinalizer =
    options.propagationPolicy === 'Foreground'
      ? FOREGROUND
      : options.propagationPolicy === 'Orphan'
        ? ORPHAN
        : undefined;
  if (policyFinalizer && !finalizers.includes(policyFinalizer) && def.plural !== 'namespaces')
    finalizers.push(policyFinalizer);
  if (graceful > 0 || finalizers.length > 0) {
    const unchanged = finalizers.length === (meta.finalizers ?? []).length;
    if (meta.deletionTimestamp && unchanged && graceful >= (meta.deletionGracePeriodSeconds ?? 0))
      return current;
    return ctx.resources.update(def, namespace, name, (obj) => {
      const deleteAt = new Date(ctx.now().getTime() + graceful * 1000);
      const shorter = graceful < (obj.metadata?.deletionGracePeriodSeconds ?? Number.POSITIVE_INFINITY);
      obj.metadata = {
        ...obj.metadata,
        deletionTimestamp:
          obj.metadata?.deletionTimestamp && !shorter ? obj.metadata.deletionTimestamp : timestamp(deleteAt),
        deletionGracePeriodSeconds: graceful,
        finalizers,
      };
      return obj;
    });
  }
  if (def.plural === 'namespaces') await emptyNamespace(ctx, name);
  const expected = def.plural === 'namespaces' ? undefined : Number(meta.resourceVersion);
  const deleted = await ctx.resources.delete(def, namespace, name, expected);
  if (deleted) return deleted;
  // A write (a status update, say) landed between the read and the delete. As kube-apiserver does,
  // decide again on the new version rather than fail the client, unless it pinned a version.
  if (!options.preconditions?.resourceVersion && attempt < MAX_DELETE_ATTEMPTS) {
    return deleteObject(ctx, def, namespace, name, options, attempt + 1);
  }
  throw conflict(ref, name, 'the object changed while it was being deleted; retry the request');
}

function podGracePeriod(pod: UntypedObject, options: DeleteOptions): number {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  if (!spec.nodeName) return 0;
  const phase = isRecord(pod.status) ? pod.status.phase : undefined;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  if (options.gracePeriodSeconds !== undefined) return options.gracePeriodSeconds;
  return typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30;
}

async function emptyNamespace(ctx: ApiContext, namespace: string): Promise<void> {
  await ctx.resources.update(nsDef(), undefined, namespace, (obj) => {
    obj.metadata = {
      ...obj.metadata,
      deletionTimestamp: obj.metadata?.deletionTimestamp ?? timestamp(ctx.now()),
    };
    obj.status = { ...(isRecord(obj.status) ? obj.status : {}), phase: 'Terminating' };
    return obj;
  });
  // Every version of a custom resource shares one store prefix: sweep each prefix once.
  const swept = new Set<string>();
  for (const def of ctx.catalog.all().filter((r) => r.namespaced)) {
    if (swept.has(resourcePrefix(def))) continue;
    swept.add(resourcePrefix(def));
    const page = await ctx.resources.list(def, namespace);
    for (const obj of page.items) await ctx.resources.delete(def, namespace, String(obj.metadata?.name));
  }
}
