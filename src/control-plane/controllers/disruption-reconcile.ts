import type { OwnerReference, PdbCondition, Pod, PodDisruptionBudget } from '../../kube/index.js';
import { parseTime } from '../machinery/clock.js';
import { asLabelSelector, matchesSelector } from '../machinery/labels.js';
import { controllerOf, isPodReady, setCondition } from '../machinery/objects.js';
import { type Action, eventAction, statusUpdate } from './actions.js';
import { resolveIntOrPercent } from './rolling-update.js';

/**
 * The disruption controller's arithmetic (kube's pkg/controller/disruption): which pods a budget
 * selects, how many of them should exist (the owning controllers' scale for percentages and
 * maxUnavailable), how many are healthy, and so how many the eviction subresource may take now.
 */

/** How long an eviction's entry in `disruptedPods` waits for the pod's deletion (kube's DeletionTimeout). */
export const deletionTimeoutMs = 2 * 60 * 1000;

/** The scale of the workload a controllerRef leads to (a Deployment for its ReplicaSets' pods). */
export interface ControllerScale {
  readonly uid: string;
  readonly scale: number;
}

/** Follows a pod's controllerRef to the workload whose replicas count; undefined when none is known. */
export type FindControllerScale = (ref: OwnerReference, namespace: string) => ControllerScale | undefined;

export interface DisruptionResult {
  readonly actions: Action[];
  /** When a `disruptedPods` entry expires and the budget must be counted again. */
  readonly requeueAfterMs?: number;
}

/** `DisruptionAllowed` condition name and reasons (policy/v1). */
export const disruptionAllowedCondition = 'DisruptionAllowed';

/** The pods a budget selects: same namespace, matching its selector (policy/v1: `{}` selects all, none selects none). */
export function podsOfBudget(pdb: PodDisruptionBudget, pods: readonly Pod[]): Pod[] {
  const selector = asLabelSelector(pdb.spec?.selector);
  return pods.filter(
    (p) =>
      p.metadata.namespace === pdb.metadata.namespace &&
      matchesSelector(selector, isLabelMap(p.metadata.labels) ? p.metadata.labels : {}),
  );
}

const isLabelMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `getExpectedScale`: the summed scale of every controller owning a selected pod; pods without one are unmanaged. */
function expectedScale(
  pods: readonly Pod[],
  find: FindControllerScale,
): { expected: number; unmanaged: string[] } {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) {
      unmanaged.push(pod.metadata.name ?? '');
      continue;
    }
    const found = find(ref, pod.metadata.namespace ?? '');
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name ?? ''}"`);
    scales.set(found.uid, found.scale);
  }
  let expected = 0;
  for (const n of scales.values()) expected += n;
  return { expected, unmanaged };
}

/** `getExpectedPodCount`: expected pods and desired healthy ones from minAvailable or maxUnavailable. */
function expectedCounts(
  pdb: PodDisruptionBudget,
  pods: readonly Pod[],
  find: FindControllerScale,
): { expected: number; desired: number; unmanaged: string[] } {
  const { minAvailable, maxUnavailable } = pdb.spec ?? {};
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const { expected, unmanaged } = expectedScale(pods, find);
    const max = resolveIntOrPercent(maxUnavailable, expected, true, '0');
    return { expected, desired: Math.max(0, expected - max), unmanaged };
  }
  if (typeof minAvailable === 'number')
    return { expected: pods.length, desired: minAvailable, unmanaged: [] };
  if (typeof minAvailable === 'string') {
    const { expected, unmanaged } = expectedScale(pods, find);
    return { expected, desired: resolveIntOrPercent(minAvailable, expected, true, '0'), unmanaged };
  }
  return { expected: pods.length, desired: 0, unmanaged: [] };
}

/**
 * `buildDisruptedPodMap`: the entries of `disruptedPods` still waiting for their pod's deletion
 * (a pod already being deleted, gone, or past the timeout drops out), and the next expiry.
 */
function pendingDisruptions(
  pdb: PodDisruptionBudget,
  pods: readonly Pod[],
  now: number,
): { pending: Record<string, string>; nextExpiry?: number; expired: Pod[] } {
  const recorded: Record<string, unknown> = isLabelMap(pdb.status?.disruptedPods)
    ? pdb.status.disruptedPods
    : {};
  const pending: Record<string, string> = {};
  const expired: Pod[] = [];
  let nextExpiry: number | undefined;
  for (const pod of pods) {
    const at = recorded[pod.metadata.name ?? ''];
    if (typeof at !== 'string' || pod.metadata.deletionTimestamp) continue;
    const since = parseTime(at);
    if (since === undefined) continue;
    const expiry = since + deletionTimeoutMs;
    if (expiry < now) {
      expired.push(pod);
      continue;
    }
    pending[pod.metadata.name ?? ''] = at;
    nextExpiry = nextExpiry === undefined ? expiry : Math.min(nextExpiry, expiry);
  }
  return nextExpiry === undefined ? { pending, expired } : { pending, nextExpiry, expired };
}

/** The `DisruptionAllowed` condition as pdbhelper.UpdateDisruptionAllowedCondition sets it. */
export function allowedCondition(
  status: NonNullable<PodDisruptionBudget['status']>,
  now: number,
  failure?: string,
): PdbCondition[] {
  const allowed = status.disruptionsAllowed > 0 && failure === undefined;
  const reason = failure !== undefined ? 'SyncFailed' : allowed ? 'SufficientPods' : 'InsufficientPods';
  return setCondition(
    Array.isArray(status.conditions) ? status.conditions : [],
    {
      type: disruptionAllowedCondition,
      status: allowed ? 'True' : 'False',
      reason,
      message: failure ?? '',
      observedGeneration: status.observedGeneration,
    } as PdbCondition,
    now,
  ) as PdbCondition[];
}

/**
 * One budget's reconcile: its status from the selected pods and their controllers' scale. A budget
 * whose expected count cannot be worked out allows no disruption (kube's failSafe) and says why.
 */
export function reconcileDisruptionBudget(
  pdb: PodDisruptionBudget,
  namespacePods: readonly Pod[],
  find: FindControllerScale,
  now: number,
): DisruptionResult {
  const pods = podsOfBudget(pdb, namespacePods);
  const actions: Action[] = [];
  if (pods.length === 0) actions.push(eventAction(pdb, 'Normal', 'NoPods', 'No matching pods found'));
  const generation = pdb.metadata.generation ?? 0;
  let counts: { expected: number; desired: number; unmanaged: string[] };
  try {
    counts = expectedCounts(pdb, pods, find);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    actions.push(
      eventAction(
        pdb,
        'Warning',
        'CalculateExpectedPodCountFailed',
        `Failed to calculate the number of expected pods: ${message}`,
      ),
    );
    const status = {
      ...(pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
      disruptionsAllowed: 0,
      observedGeneration: generation,
    };
    actions.push(
      ...statusUpdate('poddisruptionbudgets', pdb, {
        ...status,
        conditions: allowedCondition(status, now, message),
      }),
    );
    return { actions };
  }
  if (counts.unmanaged.length > 0)
    actions.push(
      eventAction(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector ?? null)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      ),
    );
  const { pending, nextExpiry, expired } = pendingDisruptions(pdb, pods, now);
  for (const pod of expired)
    actions.push(
      eventAction(
        pod,
        'Warning',
        'NotDeleted',
        `Pod was expected by PDB ${pdb.metadata.namespace}/${pdb.metadata.name} to be deleted but it wasn't`,
      ),
    );
  const currentHealthy = pods.filter(
    (p) => !p.metadata.deletionTimestamp && !Object.hasOwn(pending, p.metadata.name ?? '') && isPodReady(p),
  ).length;
  const allowed = currentHealthy - counts.desired;
  const status: NonNullable<PodDisruptionBudget['status']> = {
    observedGeneration: generation,
    ...(Object.keys(pending).length > 0 ? { disruptedPods: pending } : {}),
    disruptionsAllowed: counts.expected <= 0 || allowed <= 0 ? 0 : allowed,
    currentHealthy,
    desiredHealthy: counts.desired,
    expectedPods: counts.expected,
    ...(pdb.status?.conditions ? { conditions: pdb.status.conditions } : {}),
  };
  status.conditions = allowedCondition(status, now);
  actions.push(...statusUpdate('poddisruptionbudgets', pdb, status));
  return nextExpiry === undefined ? { actions } : { actions, requeueAfterMs: nextExpiry - now + 100 };
}
