import type { StatusCause } from '../../../kube/index.js';
import { absent, intAt, invalid, listAt, recordAt, required, stringAt, unsupported } from './field.js';
import { checkLabelValue, checkQualifiedName } from './names.js';
import { checkLabelSelector, checkNodeSelectorRequirement } from './selectors.js';

const effects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** `ValidateTolerations` (core validation), with its messages. */
export function checkTolerations(tolerations: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const [i, item] of listAt(tolerations, field, causes)) {
    const at = `${field}[${i}]`;
    const t = recordAt(item, at, causes);
    if (!t) continue;
    const key = stringAt(t.key, `${at}.key`, causes) ?? '';
    const op = stringAt(t.operator, `${at}.operator`, causes) ?? '';
    const value = stringAt(t.value, `${at}.value`, causes) ?? '';
    const effect = stringAt(t.effect, `${at}.effect`, causes) ?? '';
    const seconds = intAt(t.tolerationSeconds, `${at}.tolerationSeconds`, causes);
    if (key) causes.push(...checkQualifiedName(key, `${at}.key`));
    if (!key && op !== 'Exists') {
      causes.push(
        invalid(
          `${at}.operator`,
          op,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (seconds !== undefined && effect !== 'NoExecute') {
      causes.push(
        invalid(`${at}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"),
      );
    }
    if (op === '' || op === 'Equal') causes.push(...checkLabelValue(value, `${at}.value`));
    else if (op === 'Exists') {
      if (value) causes.push(invalid(`${at}.operator`, t, "value must be empty when `operator` is 'Exists'"));
    } else causes.push(unsupported(`${at}.operator`, op, ['Equal', 'Exists']));
    if (effect && !effects.includes(effect)) causes.push(unsupported(`${at}.effect`, effect, effects));
  }
  return causes;
}

export function checkNodeSelectorTerms(terms: unknown, field: string, causes: StatusCause[]): void {
  const list = listAt(terms, field, causes);
  if (Array.isArray(terms) && list.length === 0)
    causes.push(required(field, 'must have at least one node selector term'));
  for (const [i, term] of list) {
    const at = `${field}[${i}]`;
    const t = recordAt(term, at, causes);
    if (!t) continue;
    for (const [j, e] of listAt(t.matchExpressions, `${at}.matchExpressions`, causes))
      checkNodeSelectorRequirement(e, `${at}.matchExpressions[${j}]`, causes);
    for (const [j, e] of listAt(t.matchFields, `${at}.matchFields`, causes))
      checkNodeSelectorRequirement(e, `${at}.matchFields[${j}]`, causes);
  }
}

function checkWeight(value: unknown, field: string, causes: StatusCause[]): void {
  const w = intAt(value, field, causes);
  if (w !== undefined && (w < 1 || w > 100)) causes.push(invalid(field, w, 'must be in the range 1-100'));
}

function checkPodAffinityTerm(term: unknown, field: string, causes: StatusCause[]): void {
  const t = recordAt(term, field, causes);
  if (!t) return;
  causes.push(...checkLabelSelector(t.labelSelector, `${field}.labelSelector`));
  causes.push(...checkLabelSelector(t.namespaceSelector, `${field}.namespaceSelector`));
  const topologyKey = stringAt(t.topologyKey, `${field}.topologyKey`, causes);
  if (!topologyKey) causes.push(required(`${field}.topologyKey`, 'can not be empty'));
  else causes.push(...checkQualifiedName(topologyKey, `${field}.topologyKey`));
}

function checkPodAffinity(value: unknown, field: string, causes: StatusCause[]): void {
  const a = recordAt(value, field, causes);
  if (!a) return;
  const req = `${field}.requiredDuringSchedulingIgnoredDuringExecution`;
  for (const [i, term] of listAt(a.requiredDuringSchedulingIgnoredDuringExecution, req, causes))
    checkPodAffinityTerm(term, `${req}[${i}]`, causes);
  const pref = `${field}.preferredDuringSchedulingIgnoredDuringExecution`;
  for (const [i, item] of listAt(a.preferredDuringSchedulingIgnoredDuringExecution, pref, causes)) {
    const w = recordAt(item, `${pref}[${i}]`, causes);
    if (!w) continue;
    checkWeight(w.weight, `${pref}[${i}].weight`, causes);
    checkPodAffinityTerm(w.podAffinityTerm, `${pref}[${i}].podAffinityTerm`, causes);
  }
}

/** `validateAffinity`: node affinity terms and requirements, pod (anti-)affinity terms, weights. */
export function checkAffinity(affinity: unknown, field: string): StatusCause[] {
  const causes: StatusCause[] = [];
  const a = recordAt(affinity, field, causes);
  if (!a) return causes;
  const na = recordAt(a.nodeAffinity, `${field}.nodeAffinity`, causes);
  if (na) {
    const reqField = `${field}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`;
    const req = recordAt(na.requiredDuringSchedulingIgnoredDuringExecution, reqField, causes);
    if (req) {
      if (absent(req.nodeSelectorTerms))
        causes.push(required(`${reqField}.nodeSelectorTerms`, 'must have at least one node selector term'));
      else checkNodeSelectorTerms(req.nodeSelectorTerms, `${reqField}.nodeSelectorTerms`, causes);
    }
    const pref = `${field}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution`;
    for (const [i, item] of listAt(na.preferredDuringSchedulingIgnoredDuringExecution, pref, causes)) {
      const p = recordAt(item, `${pref}[${i}]`, causes);
      if (!p) continue;
      checkWeight(p.weight, `${pref}[${i}].weight`, causes);
      const term = recordAt(p.preference, `${pref}[${i}].preference`, causes);
      if (term) {
        for (const [j, e] of listAt(
          term.matchExpressions,
          `${pref}[${i}].preference.matchExpressions`,
          causes,
        ))
          checkNodeSelectorRequirement(e, `${pref}[${i}].preference.matchExpressions[${j}]`, causes);
      }
    }
  }
  checkPodAffinity(a.podAffinity, `${field}.podAffinity`, causes);
  checkPodAffinity(a.podAntiAffinity, `${field}.podAntiAffinity`, causes);
  return causes;
}
