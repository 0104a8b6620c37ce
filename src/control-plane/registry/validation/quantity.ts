import { parseQuantity } from '../../../client/quantity.js';
import type { StatusCause } from '../../../kube/index.js';
import { invalid, recordAt } from './field.js';
import { checkQualifiedName } from './names.js';

/** The format apimachinery's resource.ParseQuantity accepts, quoted in its error. */
export const quantityPattern = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const QUANTITY = new RegExp(quantityPattern);
const NUMBER = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$/;
const SUFFIX = /^(|[numkMGTPE]|[KMGTPE]i|[eE][-+]?[0-9]+)$/;

/** True when `value` is a quantity Kubernetes parses: "250m", "1.5", "64Mi", "2e3", or a JSON number. */
export function isQuantity(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'string') return false;
  const m = QUANTITY.exec(value);
  return m !== null && NUMBER.test(m[1] ?? '') && SUFFIX.test(m[2] ?? '');
}

/** Checks one quantity at `field`; returns its value in base units when it parses. */
export function checkQuantity(value: unknown, field: string, causes: StatusCause[]): number | undefined {
  if (!isQuantity(value)) {
    causes.push(invalid(field, value, `quantities must match the regular expression '${quantityPattern}'`));
    return undefined;
  }
  return parseQuantity(value as string | number);
}

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** `validateContainerResourceName`: a standard resource, hugepages-*, or a domain-qualified name. */
function checkResourceName(name: string, field: string): StatusCause[] {
  if (standardContainerResources.has(name) || name.startsWith('hugepages-')) return [];
  if (!name.includes('/')) return [invalid(field, name, 'must be a standard resource for containers')];
  return checkQualifiedName(name, field);
}

/**
 * `ValidateResourceRequirements` of one container: resource names, quantity format (in the
 * words of the decoder, which is where kube-apiserver refuses them), non-negative amounts and
 * requests no larger than limits.
 */
export function checkResources(resources: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const r = recordAt(resources, field, causes);
  if (!r) return causes;
  const amounts: Record<'limits' | 'requests', Map<string, number>> = {
    limits: new Map(),
    requests: new Map(),
  };
  for (const part of ['limits', 'requests'] as const) {
    const list = recordAt(r[part], `${field}.${part}`, causes);
    if (!list) continue;
    for (const [name, value] of Object.entries(list)) {
      causes.push(...checkResourceName(name, `${field}.${part}[${name}]`));
      const n = checkQuantity(value, `${field}.${part}.${name}`, causes);
      if (n === undefined) continue;
      if (n < 0)
        causes.push(invalid(`${field}.${part}[${name}]`, value, 'must be greater than or equal to 0'));
      else amounts[part].set(name, n);
    }
  }
  for (const [name, request] of amounts.requests) {
    const limit = amounts.limits.get(name);
    if (limit !== undefined && request > limit) {
      const limits = r.limits as Record<string, unknown>;
      const requests = r.requests as Record<string, unknown>;
      causes.push(
        invalid(
          `${field}.requests[${name}]`,
          requests[name],
          `must be less than or equal to ${name} limit of ${String(limits[name])}`,
        ),
      );
    }
  }
  return causes;
}
