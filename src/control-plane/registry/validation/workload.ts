import type { StatusCause, UntypedObject } from '../../../kube/index.js';
import { getPath, invalid, isRecord, nonNegativeAt, required } from './field.js';
import { checkLabelSelector } from './selectors.js';

/** True when `labels` satisfy `selector` (matchLabels and matchExpressions), read defensively. */
function selects(selector: Record<string, unknown>, labels: Record<string, unknown>): boolean {
  const want = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  if (Object.entries(want).some(([k, v]) => labels[k] !== v)) return false;
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  return exprs.every((e) => {
    if (!isRecord(e) || typeof e.key !== 'string') return false;
    const has = Object.hasOwn(labels, e.key);
    const values = Array.isArray(e.values) ? e.values : [];
    switch (e.operator) {
      case 'In':
        return has && values.includes(labels[e.key]);
      case 'NotIn':
        return !has || !values.includes(labels[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

/**
 * A workload's `spec.selector`: required, non-empty, a valid label selector, and matching the
 * pod template's labels (`selector` does not match template `labels`).
 */
export function checkSelectorMatches(obj: UntypedObject, field: string, kind = 'deployment'): StatusCause[] {
  const spec = obj.spec;
  if (!isRecord(spec)) return [required(field)];
  const selector = spec.selector;
  if (!isRecord(selector)) return [required(`${field}.selector`)];
  const causes = checkLabelSelector(selector, `${field}.selector`);
  const empty =
    !(isRecord(selector.matchLabels) && Object.keys(selector.matchLabels).length > 0) &&
    !(Array.isArray(selector.matchExpressions) && selector.matchExpressions.length > 0);
  if (empty) {
    causes.push(invalid(`${field}.selector`, selector, `empty selector is invalid for ${kind}`));
    return causes;
  }
  const labels = getPath(obj, ['spec', 'template', 'metadata', 'labels']);
  if (causes.length === 0 && !selects(selector, isRecord(labels) ? labels : {})) {
    causes.push(
      invalid(
        `${field}.template.metadata.labels`,
        labels ?? {},
        '`selector` does not match template `labels`',
      ),
    );
  }
  return causes;
}

/** Requires a non-negative integer at `value` when present. */
export function checkNonNegativeInt(value: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  nonNegativeAt(value, field, causes);
  return causes;
}
