/**
 * Which objects a scoped ResourceQuota tracks (pkg/quota/v1/evaluator/core/pods.go podMatchesScopeFunc):
 * scopes and scopeSelector expressions apply to pods only; a quota with any scope tracks no other kind.
 */
import type { UntypedObject } from '../../kube/index.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ScopeTerm {
  readonly scope: string;
  readonly operator: string;
  readonly values: readonly string[];
}

function termsOf(quota: UntypedObject): ScopeTerm[] {
  const spec = isRec(quota.spec) ? quota.spec : {};
  const terms: ScopeTerm[] = [];
  for (const s of Array.isArray(spec.scopes) ? spec.scopes : [])
    if (typeof s === 'string') terms.push({ scope: s, operator: 'Exists', values: [] });
  const sel = isRec(spec.scopeSelector) ? spec.scopeSelector : {};
  for (const e of Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []) {
    if (!isRec(e) || typeof e.scopeName !== 'string') continue;
    const values = Array.isArray(e.values) ? e.values.filter((v): v is string => typeof v === 'string') : [];
    terms.push({ scope: e.scopeName, operator: String(e.operator ?? 'Exists'), values });
  }
  return terms;
}

function bestEffort(spec: Rec): boolean {
  const all = [spec.containers, spec.initContainers].flatMap((l) => (Array.isArray(l) ? l : []));
  return all.every((c) => {
    const r = isRec(c) && isRec(c.resources) ? c.resources : {};
    return (
      !(isRec(r.requests) && Object.keys(r.requests).length) &&
      !(isRec(r.limits) && Object.keys(r.limits).length)
    );
  });
}

function crossNamespaceAffinity(spec: Rec): boolean {
  const aff = isRec(spec.affinity) ? spec.affinity : {};
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = isRec(aff[kind]) ? (aff[kind] as Rec) : {};
    const req = Array.isArray(a.requiredDuringSchedulingIgnoredDuringExecution)
      ? a.requiredDuringSchedulingIgnoredDuringExecution
      : [];
    const pref = Array.isArray(a.preferredDuringSchedulingIgnoredDuringExecution)
      ? a.preferredDuringSchedulingIgnoredDuringExecution.map((w) =>
          isRec(w) ? w.podAffinityTerm : undefined,
        )
      : [];
    for (const t of [...req, ...pref])
      if (
        isRec(t) &&
        ((Array.isArray(t.namespaces) && t.namespaces.length) || t.namespaceSelector !== undefined)
      )
        return true;
  }
  return false;
}

function podMatches(term: ScopeTerm, pod: UntypedObject): boolean {
  const spec = isRec(pod.spec) ? pod.spec : {};
  switch (term.scope) {
    case 'Terminating':
      return typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0;
    case 'NotTerminating':
      return !(typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0);
    case 'BestEffort':
      return bestEffort(spec);
    case 'NotBestEffort':
      return !bestEffort(spec);
    case 'CrossNamespacePodAffinity':
      return crossNamespaceAffinity(spec);
    case 'PriorityClass': {
      const pc =
        typeof spec.priorityClassName === 'string' && spec.priorityClassName
          ? spec.priorityClassName
          : undefined;
      if (term.operator === 'Exists') return pc !== undefined;
      if (term.operator === 'DoesNotExist') return pc === undefined;
      if (term.operator === 'In') return pc !== undefined && term.values.includes(pc);
      if (term.operator === 'NotIn') return pc === undefined || !term.values.includes(pc);
      return false;
    }
    default:
      return false;
  }
}

/** True when `quota` tracks `obj` (a `plural` of core or another group). */
export function quotaMatches(
  quota: UntypedObject,
  plural: string,
  group: string,
  obj: UntypedObject,
): boolean {
  const terms = termsOf(quota);
  if (!terms.length) return true;
  if (group || plural !== 'pods') return false;
  return terms.every((t) => podMatches(t, obj));
}
