import type { StatusCause } from '../../../kube/index.js';
import { absent, intAt, invalid, isRecord, listAt, required, stringAt, unsupported } from './field.js';
import { isQuantity } from './quantity.js';

const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const targetTypes = ['AverageValue', 'Utilization', 'Value'];
const policyTypes = ['Percent', 'Pods'];
const selectPolicies = ['Disabled', 'Max', 'Min'];
const sources: Record<string, string> = {
  Resource: 'resource',
  ContainerResource: 'containerResource',
  Pods: 'pods',
  Object: 'object',
  External: 'external',
};
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

/** `ValidateCrossVersionObjectReference`: kind and name set and usable in a URL path. */
function checkReference(ref: unknown, field: string, causes: StatusCause[]): void {
  if (!isRecord(ref)) {
    causes.push(required(`${field}.kind`), required(`${field}.name`));
    return;
  }
  for (const key of ['kind', 'name']) {
    const v = stringAt(ref[key], `${field}.${key}`, causes);
    if (!v) causes.push(required(`${field}.${key}`));
    else if (v === '.' || v === '..' || /[/%]/.test(v))
      causes.push(invalid(`${field}.${key}`, v, `may not contain '/' or '%' and may not be '.' or '..'`));
  }
}

/** A quantity that must parse and be above zero ("must be positive"). */
function checkPositiveQuantity(value: unknown, field: string, causes: StatusCause[]): void {
  if (absent(value)) return;
  if (!isQuantity(value)) causes.push(invalid(field, value, 'must be a quantity'));
  else if (Number.parseFloat(String(value)) <= 0) causes.push(invalid(field, value, 'must be positive'));
}

/** `validateMetricTarget`. */
function checkTarget(target: unknown, field: string, causes: StatusCause[]): void {
  if (!isRecord(target)) {
    causes.push(required(`${field}.type`, 'must specify a metric target type'));
    return;
  }
  const type = stringAt(target.type, `${field}.type`, causes);
  if (!type) causes.push(required(`${field}.type`, 'must specify a metric target type'));
  else if (!targetTypes.includes(type))
    causes.push(invalid(`${field}.type`, type, 'must be either Utilization, Value, or AverageValue'));
  const util = intAt(target.averageUtilization, `${field}.averageUtilization`, causes);
  if (util !== undefined && util < 1)
    causes.push(invalid(`${field}.averageUtilization`, util, 'must be greater than 0'));
  checkPositiveQuantity(target.value, `${field}.value`, causes);
  checkPositiveQuantity(target.averageValue, `${field}.averageValue`, causes);
  const need = 'must set either a target raw value or a target utilization';
  if (type === 'Utilization' && absent(target.averageUtilization))
    causes.push(required(`${field}.averageUtilization`, need));
  if (type === 'Value' && absent(target.value)) causes.push(required(`${field}.value`, need));
  if (type === 'AverageValue' && absent(target.averageValue))
    causes.push(required(`${field}.averageValue`, need));
}

/** `validateResourceSource` / `validateContainerResourceSource`: resource metrics are averages. */
function checkResourceSource(source: Record<string, unknown>, field: string, causes: StatusCause[]): void {
  if (!stringAt(source.name, `${field}.name`, causes))
    causes.push(required(`${field}.name`, 'must specify a resource name'));
  if ('container' in source || field.endsWith('containerResource')) {
    if (!stringAt(source.container, `${field}.container`, causes))
      causes.push(required(`${field}.container`, 'must specify a container'));
  }
  checkTarget(source.target, `${field}.target`, causes);
  const t = isRecord(source.target) ? source.target : {};
  if (!absent(t.averageUtilization) && !absent(t.averageValue))
    causes.push(
      invalid(
        `${field}.target.averageValue`,
        t.averageValue,
        'may not set both a target raw value and a target utilization',
      ),
    );
  if (!absent(t.value))
    causes.push(
      invalid(`${field}.target.value`, t.value, 'may not set non-average target value for resource metrics'),
    );
}

/** `validateMetricSpec`: a known type and exactly that type's source. */
function checkMetric(metric: unknown, field: string, causes: StatusCause[]): void {
  if (!isRecord(metric)) {
    causes.push(required(`${field}.type`, 'must specify a metric source type'));
    return;
  }
  const type = stringAt(metric.type, `${field}.type`, causes);
  if (!type) {
    causes.push(required(`${field}.type`, 'must specify a metric source type'));
    return;
  }
  if (!metricTypes.includes(type)) {
    causes.push(unsupported(`${field}.type`, type, metricTypes));
    return;
  }
  const present = Object.values(sources).filter((k) => !absent(metric[k]));
  const key = sources[type] ?? '';
  if (present.length > 1 || (present.length === 1 && present[0] !== key))
    causes.push(invalid(field, type, 'must populate the given metric source only'));
  const source = metric[key];
  if (!isRecord(source)) {
    causes.push(required(`${field}.${key}`, 'must populate information for the given metric source'));
    return;
  }
  if (type === 'Resource' || type === 'ContainerResource') {
    checkResourceSource(source, `${field}.${key}`, causes);
    return;
  }
  const metricId = isRecord(source.metric) ? source.metric : {};
  if (!stringAt(metricId.name, `${field}.${key}.metric.name`, causes))
    causes.push(required(`${field}.${key}.metric.name`, 'must specify a metric name'));
  if (type === 'Object') checkReference(source.describedObject, `${field}.object.describedObject`, causes);
  checkTarget(source.target, `${field}.${key}.target`, causes);
}

/** `validateScalingRules`: window bounds, a known selectPolicy, at least one sane policy. */
function checkRules(rules: unknown, field: string, causes: StatusCause[]): void {
  if (absent(rules)) return;
  if (!isRecord(rules)) {
    causes.push(invalid(field, rules, 'must be an object'));
    return;
  }
  const window = intAt(rules.stabilizationWindowSeconds, `${field}.stabilizationWindowSeconds`, causes);
  if (window !== undefined && window < 0)
    causes.push(
      invalid(`${field}.stabilizationWindowSeconds`, window, 'must be greater than or equal to zero'),
    );
  if (window !== undefined && window > MAX_STABILIZATION_WINDOW_SECONDS)
    causes.push(
      invalid(
        `${field}.stabilizationWindowSeconds`,
        window,
        `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`,
      ),
    );
  const select = stringAt(rules.selectPolicy, `${field}.selectPolicy`, causes);
  if (select !== undefined && !selectPolicies.includes(select))
    causes.push(unsupported(`${field}.selectPolicy`, select, selectPolicies));
  const policies = listAt(rules.policies, `${field}.policies`, causes);
  if (policies.length === 0) causes.push(required(`${field}.policies`, 'must specify at least one Policy'));
  for (const [i, p] of policies) {
    const at = `${field}.policies[${i}]`;
    const policy = isRecord(p) ? p : {};
    const type = stringAt(policy.type, `${at}.type`, causes);
    if (type === undefined || !policyTypes.includes(type))
      causes.push(unsupported(`${at}.type`, type ?? '', policyTypes));
    const value = intAt(policy.value, `${at}.value`, causes);
    if (value === undefined || value <= 0)
      causes.push(invalid(`${at}.value`, value ?? 0, 'must be greater than zero'));
    const period = intAt(policy.periodSeconds, `${at}.periodSeconds`, causes);
    if (period === undefined || period <= 0)
      causes.push(invalid(`${at}.periodSeconds`, period ?? 0, 'must be greater than zero'));
    else if (period > MAX_PERIOD_SECONDS)
      causes.push(
        invalid(`${at}.periodSeconds`, period, `must be less than or equal to ${MAX_PERIOD_SECONDS}`),
      );
  }
}

/** `validateHorizontalPodAutoscalerSpec` (autoscaling/v2, minReplicas ≥ 1 as without HPAScaleToZero). */
export function checkAutoscalerSpec(spec: Record<string, unknown>): StatusCause[] {
  const causes: StatusCause[] = [];
  const min = intAt(spec.minReplicas, 'spec.minReplicas', causes);
  if (min !== undefined && min < 1)
    causes.push(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  const max = intAt(spec.maxReplicas, 'spec.maxReplicas', causes);
  if (max === undefined || max < 1)
    causes.push(invalid('spec.maxReplicas', max ?? 0, 'must be greater than 0'));
  else if (min !== undefined && max < min)
    causes.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  checkReference(spec.scaleTargetRef, 'spec.scaleTargetRef', causes);
  for (const [i, m] of listAt(spec.metrics, 'spec.metrics', causes))
    checkMetric(m, `spec.metrics[${i}]`, causes);
  if (!absent(spec.behavior)) {
    const b = isRecord(spec.behavior) ? spec.behavior : {};
    checkRules(b.scaleUp, 'spec.behavior.scaleUp', causes);
    checkRules(b.scaleDown, 'spec.behavior.scaleDown', causes);
  }
  return causes;
}
