import type { StatusCause, UntypedObject } from '../../kube/index.js';
import {
  enumAt,
  forbidden,
  getPath,
  intAt,
  invalid,
  isRecord,
  listAt,
  nonNegativeAt,
  recordAt,
  required,
  stringAt,
} from './validation/field.js';

/** kube's limit on completions and parallelism of an Indexed job. */
const maxIndexedCompletions = 100_000;
const maxRules = 20;
const maxExitCodes = 255;

function checkIndexed(spec: Record<string, unknown>, causes: StatusCause[]): void {
  enumAt(spec.completionMode, 'spec.completionMode', ['NonIndexed', 'Indexed'], causes);
  if (spec.completionMode !== 'Indexed') return;
  const completions = intAt(spec.completions, 'spec.completions', causes);
  if (spec.completions === undefined || spec.completions === null)
    causes.push(required('spec.completions', 'when completion mode is Indexed'));
  else if (completions !== undefined && completions > maxIndexedCompletions)
    causes.push(
      invalid(
        'spec.completions',
        completions,
        `must be less than or equal to ${maxIndexedCompletions} when completion mode is Indexed`,
      ),
    );
  const parallelism = intAt(spec.parallelism, 'spec.parallelism', causes);
  if (parallelism !== undefined && parallelism > maxIndexedCompletions)
    causes.push(
      invalid(
        'spec.parallelism',
        parallelism,
        `must be less than or equal to ${maxIndexedCompletions} when completion mode is Indexed`,
      ),
    );
}

function checkExitCodes(req: unknown, at: string, containers: Set<string>, causes: StatusCause[]): void {
  const r = recordAt(req, at, causes);
  if (!r) return;
  enumAt(r.operator, `${at}.operator`, ['In', 'NotIn'], causes);
  if (r.operator === undefined) causes.push(required(`${at}.operator`));
  const name = stringAt(r.containerName, `${at}.containerName`, causes);
  if (name !== undefined && !containers.has(name))
    causes.push(
      invalid(
        `${at}.containerName`,
        name,
        'must be one of the container or initContainer names in the pod template',
      ),
    );
  const values = listAt(r.values, `${at}.values`, causes);
  if (values.length === 0) causes.push(required(`${at}.values`));
  if (values.length > maxExitCodes)
    causes.push({
      reason: 'FieldValueTooMany',
      field: `${at}.values`,
      message: `Too many: ${values.length}: must have at most ${maxExitCodes} items`,
    });
  let prev: number | undefined;
  for (const [i, v] of values) {
    const n = intAt(v, `${at}.values[${i}]`, causes);
    if (n === undefined) continue;
    if (n === 0 && r.operator === 'In')
      causes.push(invalid(`${at}.values[${i}]`, n, 'must not be 0 for the In operator'));
    if (prev !== undefined && n === prev)
      causes.push({
        reason: 'FieldValueDuplicate',
        field: `${at}.values[${i}]`,
        message: `Duplicate value: ${n}`,
      });
    else if (prev !== undefined && n < prev) causes.push(invalid(`${at}.values[${i}]`, n, 'must be ordered'));
    prev = n;
  }
}

function checkPodConditions(list: unknown, at: string, causes: StatusCause[]): void {
  const items = listAt(list, at, causes);
  if (items.length === 0) causes.push(required(at));
  for (const [i, c] of items) {
    const r = recordAt(c, `${at}[${i}]`, causes);
    if (!r) continue;
    if (stringAt(r.type, `${at}[${i}].type`, causes) === undefined) causes.push(required(`${at}[${i}].type`));
    enumAt(r.status, `${at}[${i}].status`, ['True', 'False', 'Unknown'], causes);
  }
}

function checkPodFailurePolicy(spec: Record<string, unknown>, causes: StatusCause[]): void {
  const policy = recordAt(spec.podFailurePolicy, 'spec.podFailurePolicy', causes);
  if (!policy) return;
  const restart = getPath(spec, ['template', 'spec', 'restartPolicy']);
  if (restart !== 'Never')
    causes.push(
      invalid(
        'spec.template.spec.restartPolicy',
        restart,
        'only "Never" is supported when podFailurePolicy is specified',
      ),
    );
  const names = new Set<string>();
  for (const list of ['containers', 'initContainers']) {
    const cs = getPath(spec, ['template', 'spec', list]);
    if (Array.isArray(cs))
      for (const c of cs) if (isRecord(c) && typeof c.name === 'string') names.add(c.name);
  }
  const rules = listAt(policy.rules, 'spec.podFailurePolicy.rules', causes);
  if (rules.length > maxRules)
    causes.push({
      reason: 'FieldValueTooMany',
      field: 'spec.podFailurePolicy.rules',
      message: `Too many: ${rules.length}: must have at most ${maxRules} items`,
    });
  for (const [i, rule] of rules) {
    const at = `spec.podFailurePolicy.rules[${i}]`;
    const r = recordAt(rule, at, causes);
    if (!r) continue;
    enumAt(r.action, `${at}.action`, ['Count', 'FailIndex', 'FailJob', 'Ignore'], causes);
    if (r.action === undefined) causes.push(required(`${at}.action`));
    // FailIndex needs backoffLimitPerIndex, which is not served.
    if (r.action === 'FailIndex')
      causes.push(
        forbidden(`${at}.action`, "the 'FailIndex' action can only be used when backoffLimitPerIndex is set"),
      );
    const byCode = r.onExitCodes !== undefined && r.onExitCodes !== null;
    const byCondition = r.onPodConditions !== undefined && r.onPodConditions !== null;
    if (byCode === byCondition)
      causes.push(invalid(at, rule, 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (byCode) checkExitCodes(r.onExitCodes, `${at}.onExitCodes`, names, causes);
    if (byCondition) checkPodConditions(r.onPodConditions, `${at}.onPodConditions`, causes);
  }
}

/**
 * Job fields beyond the pod template (after kube's ValidateJobSpec): completion mode and its
 * limits, podFailurePolicy rules, and the TTL and deadline counters.
 */
export function checkJobSpecFields(obj: UntypedObject): StatusCause[] {
  const spec = getPath(obj, ['spec']);
  if (!isRecord(spec)) return [];
  const causes: StatusCause[] = [];
  checkIndexed(spec, causes);
  checkPodFailurePolicy(spec, causes);
  nonNegativeAt(spec.ttlSecondsAfterFinished, 'spec.ttlSecondsAfterFinished', causes);
  nonNegativeAt(spec.activeDeadlineSeconds, 'spec.activeDeadlineSeconds', causes);
  return causes;
}

/** Fields of a Job that may not change once it exists. */
export function jobImmutable(obj: UntypedObject, old: UntypedObject): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const f of ['completionMode', 'podFailurePolicy']) {
    const a = getPath(obj, ['spec', f]);
    if (JSON.stringify(a ?? null) !== JSON.stringify(getPath(old, ['spec', f]) ?? null))
      causes.push(invalid(`spec.${f}`, a ?? null, 'field is immutable'));
  }
  return causes;
}
