import { resourceAmount } from '../../client/quantity.js';
import type { Node, Pod } from '../../kube/index.js';

/** Resource amounts keyed by resource name: cpu in millicores, memory in bytes, others in units. */
export type ResourceList = Record<string, number>;

/** Requests kube-scheduler assumes for scoring when a container sets none (100m, 200Mi). */
export const defaultScoringRequests: Readonly<ResourceList> = { cpu: 100, memory: 200 * 1024 * 1024 };

/** A quantity in scheduler units, or undefined when it does not parse (a malformed stored object). */
function amountOrUndefined(name: string, value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    const n = resourceAmount(name, value);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function sumContainers(containers: unknown, field: string, strict: boolean): ResourceList {
  const total: ResourceList = {};
  if (!Array.isArray(containers)) return total;
  containers.forEach((c: unknown, i) => {
    const requests = (c as { resources?: { requests?: unknown } } | null)?.resources?.requests;
    if (typeof requests !== 'object' || requests === null) return;
    for (const [name, value] of Object.entries(requests)) {
      const amount = amountOrUndefined(name, value);
      if (amount === undefined) {
        if (strict) {
          throw new Error(
            `${field}[${i}].resources.requests.${name}: invalid quantity ${JSON.stringify(value)}`,
          );
        }
        continue;
      }
      total[name] = (total[name] ?? 0) + amount;
    }
  });
  return total;
}

/**
 * What a pod requests: the sum over its containers, or the largest init container when that is
 * bigger (init containers run one at a time, before the others), as the kubelet accounts it.
 * Strict (the default, for placing a pod) throws on a quantity that does not parse; lenient
 * (accounting a pod already bound) skips it, so one malformed pod cannot break a node's sums.
 */
export function podRequests(pod: Pod, strict = true): ResourceList {
  const spec: Partial<Pod['spec']> = pod.spec ?? {};
  const total = sumContainers(spec.containers, 'spec.containers', strict);
  const inits: unknown = spec.initContainers;
  if (Array.isArray(inits)) {
    inits.forEach((c: unknown, i) => {
      const one = sumContainers([c], `spec.initContainers[${i}]`, strict);
      for (const [name, amount] of Object.entries(one)) total[name] = Math.max(total[name] ?? 0, amount);
    });
  }
  return total;
}

/** Requests for scoring: as `podRequests`, with kube-scheduler's defaults for unset cpu/memory. */
export function podScoringRequests(pod: Pod, strict = true): ResourceList {
  const r = podRequests(pod, strict);
  return {
    ...r,
    cpu: r.cpu ?? defaultScoringRequests.cpu ?? 0,
    memory: r.memory ?? defaultScoringRequests.memory ?? 0,
  };
}

/**
 * What a node offers to pods: `status.allocatable`, falling back to `capacity`; pods default to
 * 110. A quantity that does not parse offers nothing of that resource (the safe reading).
 */
export function nodeAllocatable(node: Node): ResourceList {
  const source: unknown = node.status?.allocatable ?? node.status?.capacity ?? {};
  const out: ResourceList = {};
  if (typeof source !== 'object' || source === null) return { pods: 110 };
  for (const [name, value] of Object.entries(source)) out[name] = amountOrUndefined(name, value) ?? 0;
  if (out.pods === undefined) out.pods = 110;
  return out;
}
