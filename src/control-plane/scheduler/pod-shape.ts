import type { Pod } from '../../kube/index.js';
import { podRequests } from './resources.js';

/**
 * Shape checks of the fields the scheduler reads from a pod. The API validates pods, but the
 * scheduler reads them from the store, where an object may come from an older version or from
 * a direct etcd write; such a pod must fail its own scheduling (FailedScheduling), never the
 * scheduler.
 */

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const optionalString = (v: unknown) => v === undefined || v === null || typeof v === 'string';

function stringMapProblem(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string'))
    return `${field}: must be a map of string keys to string values`;
  return undefined;
}

function tolerationsProblem(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return 'spec.tolerations: must be a list of tolerations';
  for (const [i, t] of v.entries()) {
    const ok =
      isRecord(t) &&
      optionalString(t.key) &&
      optionalString(t.value) &&
      [undefined, null, '', 'Exists', 'Equal'].includes(t.operator as string) &&
      [undefined, null, '', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect as string);
    if (!ok) return `spec.tolerations[${i}]: not a valid toleration`;
  }
  return undefined;
}

function requirementProblem(e: unknown, field: string): string | undefined {
  if (!isRecord(e) || typeof e.key !== 'string' || typeof e.operator !== 'string')
    return `${field}: must have a string key and operator`;
  const values = e.values;
  if (values !== undefined && values !== null) {
    if (!Array.isArray(values) || !values.every((x) => typeof x === 'string'))
      return `${field}.values: must be a list of strings`;
  }
  return undefined;
}

function nodeAffinityProblem(affinity: unknown): string | undefined {
  if (affinity === undefined || affinity === null) return undefined;
  if (!isRecord(affinity)) return 'spec.affinity: must be an object';
  const na = affinity.nodeAffinity;
  if (na === undefined || na === null) return undefined;
  if (!isRecord(na)) return 'spec.affinity.nodeAffinity: must be an object';
  const required = na.requiredDuringSchedulingIgnoredDuringExecution;
  if (required === undefined || required === null) return undefined;
  const base = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution';
  if (!isRecord(required)) return `${base}: must be an object`;
  const terms = required.nodeSelectorTerms;
  if (terms === undefined || terms === null) return undefined;
  if (!Array.isArray(terms)) return `${base}.nodeSelectorTerms: must be a list`;
  for (const [i, term] of terms.entries()) {
    const at = `${base}.nodeSelectorTerms[${i}]`;
    if (!isRecord(term)) return `${at}: must be an object`;
    const exprs = term.matchExpressions;
    if (exprs === undefined || exprs === null) continue;
    if (!Array.isArray(exprs)) return `${at}.matchExpressions: must be a list`;
    for (const [j, e] of exprs.entries()) {
      const problem = requirementProblem(e, `${at}.matchExpressions[${j}]`);
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * Why the scheduler cannot read this pod (the first problem, with its field path), or undefined
 * when every field it uses has the expected shape and every resource request parses.
 */
export function podShapeProblem(pod: Pod): string | undefined {
  const spec: unknown = pod.spec;
  if (!isRecord(spec)) return 'spec: must be an object';
  if (!Array.isArray(spec.containers)) return 'spec.containers: must be a list';
  if (
    spec.initContainers !== undefined &&
    spec.initContainers !== null &&
    !Array.isArray(spec.initContainers)
  )
    return 'spec.initContainers: must be a list';
  const problem =
    stringMapProblem(spec.nodeSelector, 'spec.nodeSelector') ??
    tolerationsProblem(spec.tolerations) ??
    nodeAffinityProblem(spec.affinity);
  if (problem) return problem;
  try {
    podRequests(pod);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return undefined;
}
