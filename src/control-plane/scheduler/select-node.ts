import type { Pod } from '../../kube/index.js';
import { controllerOf } from '../machinery/objects.js';
import type { NodeInfo, SchedulerCache } from './cache.js';
import { runFilters } from './filters.js';
import { podRequests, podScoringRequests } from './resources.js';
import { leastAllocatedScore, spreadScores } from './scores.js';

export interface SelectNodeOptions {
  /**
   * Percentage of nodes to find feasible before scoring, as kube-scheduler's
   * percentageOfNodesToScore; 0 means adaptive (50% minus 1% per 125 nodes, at least 5%).
   * Clusters of 100 nodes or fewer are always searched fully. @default 0
   */
  readonly percentageOfNodesToScore?: number;
  /** Weight of the spread score against least-allocated (weight 1). @default 2 */
  readonly spreadWeight?: number;
}

/** Rotation state carried between calls: where the next node search starts, and a tie counter. */
export interface SelectState {
  next: number;
  ties?: number;
}

export type SelectNodeResult =
  | { readonly ok: true; readonly node: string; readonly feasible: number }
  | { readonly ok: false; readonly message: string; readonly reasons: ReadonlyMap<string, number> };

function feasibleTarget(total: number, percentage: number): number {
  if (total <= 100) return total;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(5, 50 - Math.floor(total / 125));
  return Math.min(total, Math.max(100, Math.floor((total * pct) / 100)));
}

/**
 * kube-scheduler's unschedulable message: "0/3 nodes are available: 1 node(s) had untolerated
 * taint {k: v}, 2 Insufficient cpu." (reasons with their node counts, sorted).
 */
export function renderUnschedulableMessage(total: number, reasons: ReadonlyMap<string, number>): string {
  if (total === 0) return '0/0 nodes are available: no nodes available to schedule pods.';
  const parts = [...reasons].map(([reason, n]) => `${n} ${reason}`).sort();
  return `0/${total} nodes are available: ${parts.join(', ')}.`;
}

/**
 * Picks a node for `pod`: filters nodes (the built-in filters, then `extraFilter`, e.g. volumes),
 * starting where the last search stopped so searches rotate over a large cluster, scores the
 * feasible ones and takes the best; ties go round-robin.
 * Pure apart from the rotating start index kept in `state`.
 */
export function selectNode(
  pod: Pod,
  cache: SchedulerCache,
  state: SelectState,
  options: SelectNodeOptions = {},
  extraFilter?: (info: NodeInfo) => readonly string[],
): SelectNodeResult {
  const nodes = cache.nodeList();
  const total = nodes.length;
  const want = feasibleTarget(total, options.percentageOfNodesToScore ?? 0);
  const requests = Object.entries(podRequests(pod));
  const feasible: NodeInfo[] = [];
  const reasons = new Map<string, number>();
  const start = total === 0 ? 0 : state.next % total;
  let visited = 0;
  for (; visited < total && feasible.length < want; visited++) {
    const info = nodes[(start + visited) % total] as NodeInfo;
    let failed = runFilters(pod, requests, info);
    if (failed.length === 0 && extraFilter) failed = extraFilter(info);
    if (failed.length === 0) feasible.push(info);
    else for (const r of failed) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  state.next = start + visited;
  if (feasible.length === 0) {
    return { ok: false, message: renderUnschedulableMessage(total, reasons), reasons };
  }
  const scoring = podScoringRequests(pod);
  const spread = spreadScores(controllerOf(pod)?.uid, feasible, cache);
  const weight = options.spreadWeight ?? 2;
  let best = -1;
  const ties: NodeInfo[] = [];
  feasible.forEach((info, i) => {
    const score = Math.round((leastAllocatedScore(scoring, info) + weight * (spread[i] ?? 0)) * 1000);
    if (score > best) {
      best = score;
      ties.length = 0;
    }
    if (score === best) ties.push(info);
  });
  state.ties = (state.ties ?? 0) + 1;
  const chosen = ties[state.ties % ties.length] as NodeInfo;
  return { ok: true, node: chosen.node.metadata.name ?? '', feasible: feasible.length };
}
