import type { Node, Pod, Taint } from '../../kube/index.js';
import { matchesMap, matchesRequirement } from '../machinery/labels.js';
import { getCondition } from '../machinery/objects.js';
import type { NodeInfo } from './cache.js';
import { HOST_PORTS_REASON, hostPortsConflict, podHostPorts } from './host-ports.js';
import type { ResourceList } from './resources.js';
import {
  describeTaint,
  firstUntolerated,
  notReadyTaintKey,
  unreachableTaintKey,
  unschedulableTaintKey,
} from './taints.js';

/** Reasons a node is not feasible for a pod, in kube-scheduler's wording; empty when feasible. */
export type FilterResult = readonly string[];

/** The feasible answer, shared so the hot path allocates nothing for nodes that fit. */
const feasible: FilterResult = Object.freeze([]);

/**
 * The taints the scheduler enforces on a node: its own, plus the ones kube's node lifecycle would
 * add for `spec.unschedulable` and a Ready condition that is not True (so a pod can tolerate them).
 */
export function effectiveTaints(node: Node): Taint[] {
  const own: unknown = node.spec?.taints;
  // A malformed entry (from an object written straight into the store) is skipped, not thrown on.
  const taints = Array.isArray(own) ? own.filter(isTaint) : [];
  const has = (key: string, effect = 'NoSchedule') =>
    taints.some((t) => t.key === key && t.effect === effect);
  if (node.spec?.unschedulable && !has(unschedulableTaintKey)) {
    taints.push({ key: unschedulableTaintKey, effect: 'NoSchedule' });
  }
  // Like kube's TaintNodesByCondition: a lost node (Ready Unknown, or already tainted unreachable
  // for eviction) repels new pods with unreachable:NoSchedule, a not-ready one with not-ready:
  // NoSchedule. A pod tolerating only the NoExecute taint for a few seconds must not be placed
  // back onto the node it was just evicted from.
  const ready = getCondition(node.status?.conditions, 'Ready');
  if (ready?.status !== 'True') {
    const lost = ready?.status === 'Unknown' || has(unreachableTaintKey, 'NoExecute');
    const key = lost ? unreachableTaintKey : notReadyTaintKey;
    if (!has(key)) taints.push({ key, effect: 'NoSchedule' });
  }
  return taints;
}

const taintEffects: readonly unknown[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function isTaint(t: unknown): t is Taint {
  const x = t as Partial<Taint> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.key === 'string' &&
    taintEffects.includes(x.effect) &&
    (x.value === undefined || typeof x.value === 'string')
  );
}

/** The taints the taint filter checks (cordoning is reported by its own filter). */
export function scheduledTaints(node: Node): Taint[] {
  return effectiveTaints(node).filter((t) => t.key !== unschedulableTaintKey);
}

/** NodeUnschedulable: cordoned nodes take only pods tolerating the unschedulable taint. */
export function filterUnschedulable(pod: Pod, node: Node): FilterResult {
  if (!node.spec?.unschedulable) return feasible;
  const t: Taint = { key: unschedulableTaintKey, effect: 'NoSchedule' };
  return firstUntolerated([t], pod.spec.tolerations, ['NoSchedule'])
    ? ['node(s) were unschedulable']
    : feasible;
}

/** NodeAffinity: nodeSelector and required node affinity (terms ORed, expressions ANDed). */
export function filterNodeAffinity(pod: Pod, node: Node): FilterResult {
  const labels = node.metadata.labels ?? {};
  const fail = ["node(s) didn't match Pod's node affinity/selector"];
  if (!matchesMap(pod.spec.nodeSelector, labels)) return fail;
  const terms =
    pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 0) {
    const ok = terms.some((term) => {
      const exprs = term.matchExpressions ?? [];
      return exprs.length > 0 && exprs.every((e) => matchesRequirement(e, labels));
    });
    if (!ok) return fail;
  }
  return feasible;
}

/** TaintToleration: NoSchedule and NoExecute taints must be tolerated. */
export function filterTaints(
  pod: Pod,
  node: Node,
  taints: readonly Taint[] = scheduledTaints(node),
): FilterResult {
  if (taints.length === 0) return feasible;
  const t = firstUntolerated(taints, pod.spec.tolerations, ['NoSchedule', 'NoExecute']);
  return t ? [`node(s) had untolerated taint ${describeTaint(t)}`] : feasible;
}

/** NodeResourcesFit: pod count and every requested resource against allocatable minus requested. */
export function filterResources(requests: ResourceList | RequestEntries, info: NodeInfo): FilterResult {
  let reasons: string[] | undefined;
  if (info.podCount + 1 > (info.allocatable.pods ?? 110)) reasons = ['Too many pods'];
  const entries = Array.isArray(requests) ? requests : Object.entries(requests);
  for (const [name, amount] of entries) {
    if (amount <= 0) continue;
    const free = (info.allocatable[name] ?? 0) - (info.requested[name] ?? 0);
    if (amount > free) {
      reasons ??= [];
      reasons.push(`Insufficient ${name}`);
    }
  }
  return reasons ?? feasible;
}

/** A pod's requests as `[resource, amount]` pairs, computed once per scheduling attempt. */
export type RequestEntries = readonly (readonly [string, number])[];

/** Runs the filters in kube-scheduler's order; the first failing filter's reasons are returned. */
export function runFilters(pod: Pod, requests: ResourceList | RequestEntries, info: NodeInfo): FilterResult {
  const node = info.node;
  let r = filterUnschedulable(pod, node);
  if (r.length === 0) r = filterNodeAffinity(pod, node);
  if (r.length === 0) r = filterTaints(pod, node, info.taints);
  if (r.length === 0 && info.usedPorts.size > 0 && hostPortsConflict(podHostPorts(pod), info.usedPorts))
    r = [HOST_PORTS_REASON];
  return r.length > 0 ? r : filterResources(requests, info);
}
