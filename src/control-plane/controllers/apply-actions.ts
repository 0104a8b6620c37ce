import { isStatus } from '../../client/api-error.js';
import type { KubeObject } from '../../kube/index.js';
import type { ControllerApi } from '../machinery/api.js';
import type { EventRecorder } from '../machinery/event-recorder.js';
import type { Informer } from '../machinery/informer.js';
import { keyOf, randomSuffix } from '../machinery/objects.js';
import { type ResourceName, resourceTypes } from '../machinery/resources.js';
import type { Action } from './actions.js';

export interface ApplyContext {
  readonly api: ControllerApi;
  readonly recorder: EventRecorder;
  /** Caches to update with what was written, so the next reconcile sees it at once. */
  readonly informers: Partial<Record<ResourceName, Informer<KubeObject>>>;
}

/**
 * Applies reconcile actions in order. Names are generated here for `generateName` objects;
 * writes to an object already written in this batch carry the newer resourceVersion; deletes of
 * missing objects are fine; `ifAbsent` deletes first check the owner live. Conflicts and other
 * errors propagate so the caller requeues the key with backoff.
 */
export async function applyActions(ctx: ApplyContext, actions: readonly Action[]): Promise<void> {
  const versions = new Map<string, string>();
  const events: Promise<void>[] = [];
  for (const a of actions) {
    if (a.verb === 'event') {
      events.push(ctx.recorder.record(a.involved, a.type, a.reason, a.message));
      continue;
    }
    const r = resourceTypes[a.resource];
    const informer = ctx.informers[a.resource];
    if (a.verb === 'delete') {
      if (a.ifAbsent) {
        const owner = await ctx.api.get(
          resourceTypes[a.ifAbsent.resource],
          a.ifAbsent.namespace,
          a.ifAbsent.name,
        );
        if (owner && (a.ifAbsent.uid === undefined || owner.metadata.uid === a.ifAbsent.uid)) continue;
      }
      try {
        await ctx.api.delete(r, a.namespace, a.name, {
          ...(a.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: a.gracePeriodSeconds } : {}),
          ...(a.propagationPolicy ? { propagationPolicy: a.propagationPolicy } : {}),
          ...(a.uid ? { uid: a.uid } : {}),
        });
      } catch (err) {
        if (isStatus(err, 409)) {
          // Either the uid precondition failed (another object now has the name: done) or the
          // object changed while being deleted (it is still there: retry with backoff).
          const still = await ctx.api.get(r, a.namespace, a.name);
          if (still && (!a.uid || still.metadata.uid === a.uid) && !still.metadata.deletionTimestamp)
            throw err;
        } else if (!isStatus(err, 404)) throw err;
      }
      informer?.assumeDeleted({
        metadata: { name: a.name, ...(a.namespace ? { namespace: a.namespace } : {}) },
      });
      continue;
    }
    const obj = structuredClone(a.object);
    const key = `${a.resource}:${keyOf(obj)}`;
    const rv = versions.get(key);
    if (rv) obj.metadata.resourceVersion = rv;
    let written: KubeObject;
    if (a.verb === 'create') {
      written = await createWithName(ctx.api, a.resource, obj);
    } else if (a.verb === 'update') {
      written = await ctx.api.update(r, obj);
    } else {
      written = await ctx.api.updateStatus(r, obj);
    }
    if (written.metadata.resourceVersion)
      versions.set(`${a.resource}:${keyOf(written)}`, written.metadata.resourceVersion);
    informer?.assume(written);
  }
  await Promise.all(events);
}

async function createWithName(
  api: ControllerApi,
  resource: ResourceName,
  obj: KubeObject,
): Promise<KubeObject> {
  const r = resourceTypes[resource];
  const prefix = obj.metadata.generateName;
  for (let attempt = 0; ; attempt++) {
    if (prefix && (attempt > 0 || !obj.metadata.name)) obj.metadata.name = `${prefix}${randomSuffix()}`;
    try {
      return await api.create(r, obj);
    } catch (err) {
      if (!prefix || !isStatus(err, 409) || attempt >= 4) throw err;
    }
  }
}
