/**
 * NodeRestriction admission for writes a node makes to its own Node object (as in Kubernetes'
 * plugin/pkg/admission/noderestriction): a node may register itself with its taints, but after
 * that it may not change its taints, `spec.unschedulable` or its pod CIDRs — those are the
 * cluster's decisions, and a node that could lift them could draw any workload to itself. It may
 * never set, change or remove restricted labels (the `node-restriction.kubernetes.io/` prefix and
 * other `kubernetes.io`/`k8s.io` labels outside the kubelet's own list), which workloads use to
 * pick trusted nodes.
 */

/** The labels in kubernetes.io/k8s.io namespaces a kubelet may set (kubelet's `KubeletLabels`). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
]);

/** Label namespaces (and their subdomains) a kubelet may always set. */
const KUBELET_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function inNamespace(prefix: string, ns: string): boolean {
  return prefix === ns || prefix.endsWith(`.${ns}`);
}

/** Whether a node may not set or change label `key` on itself. */
export function isRestrictedNodeLabel(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const prefix = key.slice(0, slash).toLowerCase();
  if (inNamespace(prefix, 'node-restriction.kubernetes.io')) return true;
  if (!inNamespace(prefix, 'kubernetes.io') && !inNamespace(prefix, 'k8s.io')) return false;
  if (KUBELET_LABELS.has(key)) return false;
  return !KUBELET_NAMESPACES.some((ns) => inNamespace(prefix, ns));
}

interface NodeShape {
  readonly metadata?: { readonly labels?: unknown };
  readonly spec?: unknown;
}

function labelsOf(node: NodeShape | undefined): Record<string, unknown> {
  const l = node?.metadata?.labels;
  return typeof l === 'object' && l !== null && !Array.isArray(l) ? (l as Record<string, unknown>) : {};
}

function specField(node: NodeShape | undefined, field: string): unknown {
  const spec = node?.spec;
  return typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>)[field] : undefined;
}

/** Order-insensitive for object keys, so a no-op patch that reorders keys is not a change. */
function sameValue(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, norm((v as Record<string, unknown>)[k])]),
    );
  };
  const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0);
  if (empty(a) && empty(b)) return true;
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/**
 * Why node `node` may not store `next` as its Node object (current is undefined on create), in
 * kube-apiserver's words, or undefined when the write is allowed.
 */
export function nodeRestrictionViolation(
  node: string,
  current: NodeShape | undefined,
  next: NodeShape,
): string | undefined {
  const before = labelsOf(current);
  const after = labelsOf(next);
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((k) => isRestrictedNodeLabel(k) && before[k] !== after[k])
    .sort();
  if (changed.length > 0) {
    return current
      ? `node "${node}" is not allowed to modify labels: ${changed.join(', ')}`
      : `node "${node}" is not allowed to set the following labels: ${changed.join(', ')}`;
  }
  if (!current) return undefined;
  if (!sameValue(specField(current, 'taints'), specField(next, 'taints')))
    return `node "${node}" is not allowed to modify taints`;
  if (Boolean(specField(current, 'unschedulable')) !== Boolean(specField(next, 'unschedulable')))
    return `node "${node}" is not allowed to modify unschedulable`;
  for (const field of ['podCIDR', 'podCIDRs', 'providerID', 'configSource']) {
    if (!sameValue(specField(current, field), specField(next, field)))
      return `node "${node}" is not allowed to modify ${field}`;
  }
  return undefined;
}
