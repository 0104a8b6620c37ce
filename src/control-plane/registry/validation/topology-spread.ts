import type { StatusCause } from '../../../kube/index.js';
import {
  absent,
  duplicate,
  enumAt,
  intAt,
  invalid,
  isRecord,
  listAt,
  recordAt,
  required,
  stringAt,
  unsupported,
} from './field.js';
import { checkLabelSelector } from './selectors.js';

const actions = ['DoNotSchedule', 'ScheduleAnyway'];
const inclusionPolicies = ['Honor', 'Ignore'];
const NOT_POSITIVE = 'must be greater than zero';

/**
 * `validateTopologySpreadConstraints`: maxSkew > 0, a topologyKey, a known whenUnsatisfiable, no
 * two constraints with the same {topologyKey, whenUnsatisfiable}, minDomains only with
 * DoNotSchedule, and a valid label selector.
 */
export function checkTopologySpread(value: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const items = listAt(value, field, causes);
  const pairs = items.map(([, item]) =>
    isRecord(item)
      ? `{${String(item.topologyKey ?? '')}, ${String(item.whenUnsatisfiable ?? '')}}`
      : undefined,
  );
  for (const [i, item] of items) {
    const at = `${field}[${i}]`;
    const c = recordAt(item, at, causes);
    if (!c) continue;
    const skew = intAt(c.maxSkew, `${at}.maxSkew`, causes);
    if (skew === undefined && absent(c.maxSkew)) causes.push(invalid(`${at}.maxSkew`, 0, NOT_POSITIVE));
    else if (skew !== undefined && skew <= 0) causes.push(invalid(`${at}.maxSkew`, skew, NOT_POSITIVE));
    const key = stringAt(c.topologyKey, `${at}.topologyKey`, causes);
    if (!key) causes.push(required(`${at}.topologyKey`, 'can not be empty'));
    const action = stringAt(c.whenUnsatisfiable, `${at}.whenUnsatisfiable`, causes) ?? '';
    if (!actions.includes(action)) causes.push(unsupported(`${at}.whenUnsatisfiable`, action, actions));
    const pair = pairs[i];
    if (pair && pairs.slice(i + 1).includes(pair))
      causes.push(duplicate(`${at}.{topologyKey, whenUnsatisfiable}`, pair));
    const min = intAt(c.minDomains, `${at}.minDomains`, causes);
    if (min !== undefined) {
      if (min <= 0) causes.push(invalid(`${at}.minDomains`, min, NOT_POSITIVE));
      if (action !== 'DoNotSchedule')
        causes.push(
          invalid(
            `${at}.minDomains`,
            min,
            `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${action}`,
          ),
        );
    }
    enumAt(c.nodeAffinityPolicy, `${at}.nodeAffinityPolicy`, inclusionPolicies, causes);
    enumAt(c.nodeTaintsPolicy, `${at}.nodeTaintsPolicy`, inclusionPolicies, causes);
    for (const [j, k] of listAt(c.matchLabelKeys, `${at}.matchLabelKeys`, causes))
      if (typeof k !== 'string') stringAt(k, `${at}.matchLabelKeys[${j}]`, causes);
    if (!absent(c.labelSelector)) causes.push(...checkLabelSelector(c.labelSelector, `${at}.labelSelector`));
  }
  return causes;
}
