import type { UntypedObject } from '../../kube/index.js';
import { findResource } from '../registry/index.js';
import { isDefaultClass } from '../registry/persistent-volumes.js';
import { isRecord } from '../registry/validation.js';
import type { ApiContext } from './context.js';

/** The pre-1.6 claim annotation naming a class; a claim that carries it is left alone upstream too. */
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/**
 * The default class among `classes` as the DefaultStorageClass admission plugin picks it: the
 * newest one carrying the default annotation (ties broken by name), or undefined.
 */
export function pickDefaultClass(classes: readonly UntypedObject[]): UntypedObject | undefined {
  const defaults = classes.filter(isDefaultClass);
  defaults.sort((a, b) => {
    const ta = Date.parse(String(a.metadata?.creationTimestamp ?? '')) || 0;
    const tb = Date.parse(String(b.metadata?.creationTimestamp ?? '')) || 0;
    return tb - ta || String(a.metadata?.name).localeCompare(String(b.metadata?.name));
  });
  return defaults[0];
}

/**
 * The DefaultStorageClass admission plugin: a new claim whose `spec.storageClassName` is absent
 * (not `""`, which asks for no class) gets the default class's name. No default class: unchanged.
 */
export async function admitDefaultStorageClass(ctx: ApiContext, claim: UntypedObject): Promise<void> {
  const spec = claim.spec;
  if (!isRecord(spec) || (spec.storageClassName !== undefined && spec.storageClassName !== null)) return;
  if (claim.metadata?.annotations?.[BETA_CLASS_ANNOTATION] !== undefined) return;
  const def = findResource('storage.k8s.io', 'v1', 'storageclasses');
  if (!def) return;
  const page = await ctx.resources.list(def, undefined);
  const chosen = pickDefaultClass(page.items);
  if (chosen?.metadata?.name) spec.storageClassName = chosen.metadata.name;
}

/**
 * The StorageObjectInUseProtection admission plugin: new claims get `kubernetes.io/pvc-protection`
 * and new volumes `kubernetes.io/pv-protection`, which the volume controller removes once the
 * claim is unused (the volume unbound), so deleting either while in use waits.
 */
export function admitStorageProtection(obj: UntypedObject, finalizer: string): void {
  obj.metadata ??= {};
  const meta = obj.metadata;
  const list = Array.isArray(meta.finalizers) ? meta.finalizers : [];
  if (!list.includes(finalizer)) meta.finalizers = [...list, finalizer];
}
