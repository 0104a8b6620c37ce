import type { Pod, PodDisruptionBudget, UntypedObject } from '../../kube/index.js';
import { formatTime } from '../machinery/clock.js';
import { asLabelSelector, matchesSelector } from '../machinery/labels.js';
import { isPodReady } from '../machinery/objects.js';
import { findResource } from '../registry/index.js';
import { isRecord } from '../registry/validation.js';
import type { HandlerInput, Reply } from './handlers.js';
import { parseJsonObject } from './http.js';
import { ApiError, badRequest } from './status.js';
import { type DeleteOptions, deleteObject, parseDeleteOptions } from './write.js';

/**
 * POST pods/{name}/eviction (policy/v1 Eviction) as kube-apiserver's EvictionREST: a pod that is
 * not running (Pending, finished or already being deleted) or that no budget selects is deleted
 * at once; otherwise its one PodDisruptionBudget must allow a disruption, which is taken from
 * `status.disruptionsAllowed` and recorded in `status.disruptedPods` in one compare-and-swap write
 * of the budget (two evictions racing for the last allowed disruption cannot both pass), and the
 * pod is then deleted with the Eviction's deleteOptions.
 */

/** kube's MaxDisruptedPodSize: evictions the disruption controller has not confirmed yet. */
const maxDisruptedPods = 2000;

function budgetDef() {
  const def = findResource('policy', 'v1', 'poddisruptionbudgets');
  if (!def) throw new Error('poddisruptionbudgets are not registered');
  return def;
}

/** 429 TooManyRequests with a DisruptionBudget cause, as createTooManyRequestsError and checkAndDecrement say it. */
function tooManyRequests(cause: string, retryAfterSeconds: number): ApiError {
  return new ApiError(
    429,
    'TooManyRequests',
    "Cannot evict pod as it would violate the pod's disruption budget.",
    { retryAfterSeconds, causes: [{ reason: 'DisruptionBudget', message: cause }] },
  );
}

/** `canIgnorePDB`: pods that are not running, or already going, never count against a budget. */
function canIgnoreBudget(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return (
    phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp
  );
}

/** `getPodDisruptionBudgets`: the budgets selecting the pod; an empty selector matches nothing here. */
async function budgetsOf(input: HandlerInput, pod: Pod): Promise<PodDisruptionBudget[]> {
  const page = await input.ctx.resources.list(budgetDef(), pod.metadata.namespace);
  return (page.items as unknown as PodDisruptionBudget[]).filter((pdb) => {
    const sel = asLabelSelector(isRecord(pdb.spec) ? pdb.spec.selector : undefined);
    const empty =
      !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
    const labels = isRecord(pod.metadata.labels) ? (pod.metadata.labels as Record<string, string>) : {};
    return !empty && matchesSelector(sel, labels);
  });
}

/** `checkAndDecrement`, run inside the budget's compare-and-swap update. */
function takeDisruption(current: UntypedObject, podName: string, now: Date): UntypedObject {
  const pdb = current as unknown as PodDisruptionBudget;
  const name = pdb.metadata.name ?? '';
  const status = pdb.status ?? {
    disruptionsAllowed: 0,
    currentHealthy: 0,
    desiredHealthy: 0,
    expectedPods: 0,
  };
  // A status the disruption controller has not (or not well) written yet is not a budget to spend.
  if (
    typeof status.disruptionsAllowed !== 'number' ||
    (status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)
  )
    throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`, 10);
  if (status.disruptionsAllowed < 0)
    throw new ApiError(
      403,
      'Forbidden',
      `poddisruptionbudgets.policy "${name}" is forbidden: pdb disruptions allowed is negative`,
    );
  const disrupted = isRecord(status.disruptedPods) ? status.disruptedPods : {};
  if (Object.keys(disrupted).length > maxDisruptedPods)
    throw new ApiError(
      403,
      'Forbidden',
      `poddisruptionbudgets.policy "${name}" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller`,
    );
  if (status.disruptionsAllowed === 0)
    throw tooManyRequests(
      `The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
      0,
    );
  const allowed = status.disruptionsAllowed - 1;
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []).map((c) =>
    isRecord(c) && c.type === 'DisruptionAllowed' && allowed === 0 && c.status !== 'False'
      ? {
          ...c,
          status: 'False' as const,
          reason: 'InsufficientPods',
          lastTransitionTime: formatTime(now.getTime()),
        }
      : c,
  );
  return {
    ...current,
    status: {
      ...status,
      disruptionsAllowed: allowed,
      disruptedPods: { ...disrupted, [podName]: formatTime(now.getTime()) },
      conditions,
    },
  };
}

function evictionOptions(eviction: Record<string, unknown>, pod: Pod): DeleteOptions {
  const raw = isRecord(eviction.deleteOptions) ? eviction.deleteOptions : undefined;
  const options = parseDeleteOptions(raw, new URLSearchParams());
  // The pod deleted is the one the budget was checked for, not a namesake created since.
  const preconditions = { uid: pod.metadata.uid, ...(options.preconditions ?? {}) };
  return { ...options, preconditions };
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
  const { ctx, info } = input;
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
  const pod = (await ctx.resources.mustGet(info.def, info.namespace, name)) as unknown as Pod;
  const options = evictionOptions(eviction, pod);
  const done: Reply = {
    code: 201,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
  };
  const remove = async () => {
    if (!dryRun) await deleteObject(ctx, info.def, info.namespace, name, options);
    return done;
  };
  if (canIgnoreBudget(pod)) return remove();
  const budgets = await budgetsOf(input, pod);
  if (budgets.length > 1)
    throw new ApiError(
      500,
      'InternalError',
      'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  const pdb = budgets[0];
  if (!pdb) return remove();
  if (!isPodReady(pod)) {
    // An unready pod does not count as healthy: taking it leaves the budget as it is.
    if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return remove();
    const s = pdb.status;
    if (s && s.currentHealthy >= s.desiredHealthy && s.desiredHealthy > 0) return remove();
  }
  const pdbName = pdb.metadata.name ?? '';
  await ctx.resources.update(budgetDef(), info.namespace, pdbName, (current) => {
    if (current.metadata?.uid !== pdb.metadata.uid)
      throw tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
    const next = takeDisruption(current, name, ctx.now());
    return dryRun ? undefined : next;
  });
  return remove();
}
