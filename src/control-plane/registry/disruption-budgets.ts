import { resources } from '../../client/types.js';
import type { StatusCause, UntypedObject } from '../../kube/index.js';
import { ageColumn, ageOf, column, nameColumn, nameOf } from './columns.js';
import { identity, type ResourceDef } from './types.js';
import { GoValue } from './validation/field.js';
import { checkAtMost100, checkIntOrPercent } from './validation/strategy.js';
import {
  absent,
  checkLabelSelector,
  checkNonNegativeInt,
  ensureRecord,
  getPath,
  invalid,
  isRecord,
  unsupported,
} from './validation.js';

const evictionPolicies = ['AlwaysAllow', 'IfHealthyBudget'];

/** `ValidatePodDisruptionBudgetSpec` (policy/v1): minAvailable xor maxUnavailable, each an int or percent. */
function checkSpec(spec: Record<string, unknown>): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!absent(spec.minAvailable) && !absent(spec.maxUnavailable))
    causes.push(
      invalid(
        'spec',
        new GoValue('policy.PodDisruptionBudgetSpec{...}'),
        'minAvailable and maxUnavailable cannot be both set',
      ),
    );
  for (const f of ['minAvailable', 'maxUnavailable']) {
    checkIntOrPercent(spec[f], `spec.${f}`, causes);
    checkAtMost100(spec[f], `spec.${f}`, causes);
  }
  if (!absent(spec.selector)) causes.push(...checkLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (!absent(policy) && !evictionPolicies.includes(policy as string))
    causes.push(unsupported('spec.unhealthyPodEvictionPolicy', policy, evictionPolicies));
  return causes;
}

/** A MIN AVAILABLE / MAX UNAVAILABLE cell: the int or percent, or N/A as kubectl prints it. */
function intOrPercentCell(v: unknown): string {
  return typeof v === 'number' || typeof v === 'string' ? String(v) : 'N/A';
}

/** policy/v1 PodDisruptionBudget with a status subresource kept by the disruption controller. */
export const poddisruptionbudgets: ResourceDef = {
  ...identity(resources.podDisruptionBudgets),
  singular: 'poddisruptionbudget',
  shortNames: ['pdb'],
  categories: [],
  subresources: ['status'],
  statusField: 'status',
  defaults(obj) {
    const spec = ensureRecord(obj, 'spec');
    // SetDefaults_PodDisruptionBudgetSpec: a budget that says nothing keeps one pod.
    if (absent(spec.minAvailable) && absent(spec.maxUnavailable)) spec.minAvailable = 1;
  },
  validate(obj) {
    const causes = isRecord(obj.spec) ? checkSpec(obj.spec) : [];
    // ValidatePodDisruptionBudgetStatusUpdate (policy/v1): the counts are never negative.
    for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'])
      causes.push(...checkNonNegativeInt(getPath(obj, ['status', f]), `status.${f}`));
    return causes;
  },
  columns: [
    nameColumn,
    column('Min Available', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
    column(
      'Allowed Disruptions',
      'Calculated number of pods that may be disrupted at this time.',
      0,
      'integer',
    ),
    ageColumn,
  ],
  cells: (obj: UntypedObject, now) => {
    const allowed = getPath(obj, ['status', 'disruptionsAllowed']);
    return [
      nameOf(obj),
      intOrPercentCell(getPath(obj, ['spec', 'minAvailable'])),
      intOrPercentCell(getPath(obj, ['spec', 'maxUnavailable'])),
      typeof allowed === 'number' ? allowed : 0,
      ageOf(obj, now),
    ];
  },
};
