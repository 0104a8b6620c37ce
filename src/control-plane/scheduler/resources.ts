import { resourceAmount } from '../../client/quantity.js';
import type { Node, Pod } from '../../kube/index.js';

/** Resource amounts keyed by resource name: cpu in millicores, memory in bytes, others in units. */
export type ResourceList = Record<string, number>;

/** Requests kube-scheduler assumes for scoring when a container sets none (100m, 200Mi). */
export const defaultScoringRequests: Readonly<ResourceList> = { cpu: 100, memory: 200 * 1024 * 1024 };

function sumContainers(containers: Pod['spec']['containers'] | undefined): ResourceList {
  const total: ResourceList = {};
  for (const c of containers ?? []) {
    for (const [name, value] of Object.entries(c.resources?.requests ?? {})) {
      total[name] = (total[name] ?? 0) + resourceAmount(name, value);
    }
  }
  return total;
}

/**
 * What a pod requests: the sum over its containers, or the largest init container when that is
 * bigger (init containers run one at a time, before the others), as the kubelet accounts it.
 */
export function podRequests(pod: Pod): ResourceList {
  const total = sumContainers(pod.spec.containers);
  for (const c of pod.spec.initContainers ?? []) {
    for (const [name, amount] of Object.entries(sumContainers([c]))) {
      total[name] = Math.max(total[name] ?? 0, amount);
    }
  }
  return total;
}

/** Requests for scoring: as `podRequests`, with kube-scheduler's defaults for unset cpu/memory. */
export function podScoringRequests(pod: Pod): ResourceList {
  const r = podRequests(pod);
  return {
    ...r,
    cpu: r.cpu ?? defaultScoringRequests.cpu ?? 0,
    memory: r.memory ?? defaultScoringRequests.memory ?? 0,
  };
}

/** What a node offers to pods: `status.allocatable`, falling back to `capacity`; pods default to 110. */
export function nodeAllocatable(node: Node): ResourceList {
  const source = node.status?.allocatable ?? node.status?.capacity ?? {};
  const out: ResourceList = {};
  for (const [name, value] of Object.entries(source)) out[name] = resourceAmount(name, value);
  if (out.pods === undefined) out.pods = 110;
  return out;
}
