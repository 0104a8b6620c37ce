import { type NodeInfo, type SchedulerCache, zoneLabel } from './cache.js';
import type { ResourceList } from './resources.js';

/** Highest score of one scoring plugin, as in kube-scheduler. */
export const maxNodeScore = 100;

/**
 * NodeResourcesLeastAllocated: the mean over cpu and memory of the free fraction that would remain
 * after placing the pod. Emptier nodes score higher.
 */
export function leastAllocatedScore(scoring: ResourceList, info: NodeInfo): number {
  let sum = 0;
  let n = 0;
  for (const name of ['cpu', 'memory']) {
    const alloc = info.allocatable[name] ?? 0;
    if (alloc <= 0) continue;
    const used = (info.scoringRequested[name] ?? 0) + (scoring[name] ?? 0);
    sum += (Math.max(0, alloc - used) * maxNodeScore) / alloc;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * Spread of pods with the same controller over nodes and zones (kube's default topology spread):
 * fewer siblings score higher; zones weigh 2/3 when nodes carry a zone label.
 */
export function spreadScores(
  owner: string | undefined,
  feasible: readonly NodeInfo[],
  cache: SchedulerCache,
): number[] {
  if (!owner) return feasible.map(() => maxNodeScore);
  const nodeCounts = feasible.map((i) => i.owners.get(owner) ?? 0);
  const zones = feasible.map((i) => i.node.metadata.labels?.[zoneLabel]);
  const zoneCounts = zones.map((z) => (z ? cache.zoneCount(z, owner) : 0));
  const maxNode = Math.max(0, ...nodeCounts);
  const maxZone = Math.max(0, ...zoneCounts);
  const anyZone = zones.some((z) => z !== undefined);
  return feasible.map((_, i) => {
    const nodeScore =
      maxNode === 0 ? maxNodeScore : (maxNodeScore * (maxNode - (nodeCounts[i] ?? 0))) / maxNode;
    if (!anyZone) return nodeScore;
    const zoneScore =
      maxZone === 0 ? maxNodeScore : (maxNodeScore * (maxZone - (zoneCounts[i] ?? 0))) / maxZone;
    return nodeScore / 3 + (zoneScore * 2) / 3;
  });
}
