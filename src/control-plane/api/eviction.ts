import type { Pod } from '../../kube/index.js';
import { formatTime } from '../machinery/clock.js';
import { isPodReady } from '../machinery/objects.js';
import { isRecord } from '../registry/validation.js';
import { budgetDef, budgetsOf, takeDisruption, tooManyRequests } from './eviction-budget.js';
import type { HandlerInput, Reply } from './handlers.js';
import { parseJsonObject } from './http.js';
import { ApiError, badRequest, conflict } from './status.js';
import { type DeleteOptions, deleteObject, parseDeleteOptions } from './write.js';

/**
 * POST pods/{name}/eviction (policy/v1 Eviction) as kube-apiserver's EvictionREST: a pod that is
 * not running (Pending, finished or already being deleted) or that no budget selects is deleted
 * at once; otherwise its one PodDisruptionBudget must allow a disruption, which is taken from
 * `status.disruptionsAllowed` and recorded in `status.disruptedPods` in one compare-and-swap write
 * of the budget (two evictions racing for the last allowed disruption cannot both pass), and the
 * pod is then deleted with the Eviction's deleteOptions.
 */

/** `canIgnorePDB`: pods that are not running, or already going, never count against a budget. */
function canIgnoreBudget(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return (
    phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp
  );
}

function evictionOptions(eviction: Record<string, unknown>, pod: Pod): DeleteOptions {
  const raw = isRecord(eviction.deleteOptions) ? eviction.deleteOptions : undefined;
  const options = parseDeleteOptions(raw, new URLSearchParams());
  // The pod deleted is the one the budget was checked for, not a namesake created since.
  const preconditions = { uid: pod.metadata.uid, ...(options.preconditions ?? {}) };
  return { ...options, preconditions };
}

/** Pins the pod's resourceVersion unless the client pinned one: it must not have become healthy since. */
function pinned(options: DeleteOptions, pod: Pod): DeleteOptions {
  if (options.preconditions?.resourceVersion) return options;
  return {
    ...options,
    preconditions: { ...options.preconditions, resourceVersion: pod.metadata.resourceVersion },
  };
}

/**
 * `addConditionAndDeletePod`: the pod gets the `DisruptionTarget` condition (EvictionByEvictionAPI)
 * under the delete's preconditions, then is deleted; a pinned resourceVersion moves to the version
 * this update wrote.
 */
async function markAndDelete(input: HandlerInput, options: DeleteOptions): Promise<void> {
  const { ctx, info } = input;
  const name = info.name ?? '';
  const ref = { group: '', resource: 'pods' };
  const updated = await ctx.resources.update(info.def, info.namespace, name, (current) => {
    const meta = current.metadata ?? {};
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== meta.uid)
      throw conflict(
        ref,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(meta.uid)}`,
      );
    if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion)
      throw conflict(
        ref,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(meta.resourceVersion)}`,
      );
    const status = isRecord(current.status) ? current.status : {};
    const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(
      (c) => !(isRecord(c) && c.type === 'DisruptionTarget'),
    );
    const previous = (Array.isArray(status.conditions) ? status.conditions : []).find(
      (c) => isRecord(c) && c.type === 'DisruptionTarget' && c.status === 'True',
    ) as { lastTransitionTime?: string } | undefined;
    conditions.push({
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: previous?.lastTransitionTime ?? formatTime(ctx.now().getTime()),
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
    });
    return { ...current, status: { ...status, conditions } };
  });
  const rv = options.preconditions?.resourceVersion ? String(updated.metadata?.resourceVersion) : undefined;
  const final = rv
    ? { ...options, preconditions: { ...options.preconditions, resourceVersion: rv } }
    : options;
  await deleteObject(ctx, info.def, info.namespace, name, final);
}

function isDryRun(input: HandlerInput, eviction: Record<string, unknown>): boolean {
  const opts = isRecord(eviction.deleteOptions) ? eviction.deleteOptions : {};
  const fromBody = Array.isArray(opts.dryRun) && opts.dryRun.includes('All');
  const q = input.info.query.get('dryRun');
  if (q && q !== 'All') throw badRequest(`dryRun "${q}" is not supported: use dryRun=All`);
  return fromBody || q === 'All';
}

/** Handles `create pods/eviction`; answers 201 with a Success Status once the pod is being deleted. */
export async function evictPod(input: HandlerInput): Promise<Reply> {
  const { info } = input;
  const name = info.name ?? '';
  const eviction = parseJsonObject(input.body);
  const meta = isRecord(eviction.metadata) ? eviction.metadata : {};
  if (meta.name !== undefined && meta.name !== name)
    throw badRequest('name in URL does not match name in Eviction object');
  if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== info.namespace)
    throw badRequest(
      `the namespace of the provided object (${String(meta.namespace)}) does not match the namespace sent on the request (${String(info.namespace)})`,
    );
  const dryRun = isDryRun(input, eviction);
  // Our own resourceVersion pin can lose to a status write (an agent's report): decide again on
  // the new version, a bounded number of times, as EvictionsRetry does.
  for (let attempt = 1; ; attempt++) {
    try {
      await evictOnce(input, eviction, dryRun);
      return {
        code: 201,
        body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
      };
    } catch (err) {
      if (!(err instanceof RetryablePin) || attempt >= maxAttempts)
        throw err instanceof RetryablePin ? err.error : err;
    }
  }
}

/** How often an eviction is decided again after its own pin met a newer pod. */
const maxAttempts = 5;

/** A conflict on the resourceVersion this eviction pinned itself (not one the client gave). */
class RetryablePin extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

async function evictOnce(
  input: HandlerInput,
  eviction: Record<string, unknown>,
  dryRun: boolean,
): Promise<void> {
  const { ctx, info } = input;
  const name = info.name ?? '';
  const pod = (await ctx.resources.mustGet(info.def, info.namespace, name)) as unknown as Pod;
  const options = evictionOptions(eviction, pod);
  const remove = async (pin: boolean) => {
    if (dryRun) return;
    const opts = pin ? pinned(options, pod) : options;
    const ours = pin && !options.preconditions?.resourceVersion;
    await markAndDelete(input, opts).catch((err: unknown) => {
      if (ours && err instanceof ApiError && err.code === 409) throw new RetryablePin(err);
      throw err;
    });
  };
  if (canIgnoreBudget(pod)) return remove(true);
  const budgets = await budgetsOf(ctx, pod);
  if (budgets.length > 1)
    throw new ApiError(
      500,
      'InternalError',
      'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  const pdb = budgets[0];
  if (!pdb) return remove(false);
  if (!isPodReady(pod)) {
    // An unready pod does not count as healthy: taking it leaves the budget as it is.
    if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return remove(true);
    const s = pdb.status;
    if (s && s.currentHealthy >= s.desiredHealthy && s.desiredHealthy > 0) return remove(true);
  }
  const pdbName = pdb.metadata.name ?? '';
  await ctx.resources.update(budgetDef(), info.namespace, pdbName, (current) => {
    if (current.metadata?.uid !== pdb.metadata.uid)
      throw tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
    const next = takeDisruption(current, name, ctx.now());
    return dryRun ? undefined : next;
  });
  return remove(false);
}
