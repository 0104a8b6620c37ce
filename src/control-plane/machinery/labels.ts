import type { LabelSelector, NodeSelectorRequirement } from '../../kube/index.js';

/** True when `labels` satisfy `selector`. An empty selector matches everything, as in Kubernetes. */
export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  return (selector.matchExpressions ?? []).every((r) => matchesRequirement(r, l));
}

/** True when `labels` satisfy a single requirement (also used for node affinity expressions). */
export function matchesRequirement(
  req: NodeSelectorRequirement | { key: string; operator: string; values?: string[] },
  labels: Record<string, string>,
): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return has && values.includes(value as string);
    case 'NotIn':
      return !has || !values.includes(value as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const n = Number(value);
      const bound = Number(values[0]);
      if (!has || Number.isNaN(n) || Number.isNaN(bound)) return false;
      return req.operator === 'Gt' ? n > bound : n < bound;
    }
    default:
      return false;
  }
}

/** True when every key/value of a plain map selector (Service, nodeSelector) is in `labels`. */
export function matchesMap(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  return Object.entries(selector).every(([k, v]) => l[k] === v);
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `v` as a LabelSelector when it has the shape one (a stored object may carry anything); undefined
 * otherwise, which selects nothing.
 */
export function asLabelSelector(v: unknown): LabelSelector | undefined {
  if (!isPlain(v)) return undefined;
  if (v.matchLabels !== undefined && !isPlain(v.matchLabels)) return undefined;
  const exprs = v.matchExpressions;
  if (exprs === undefined) return v as LabelSelector;
  const ok =
    Array.isArray(exprs) &&
    exprs.every(
      (e) =>
        isPlain(e) &&
        typeof e.key === 'string' &&
        typeof e.operator === 'string' &&
        (e.values === undefined || Array.isArray(e.values)),
    );
  return ok ? (v as LabelSelector) : undefined;
}
