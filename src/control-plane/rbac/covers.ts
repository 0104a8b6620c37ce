import type { PolicyRule } from './types.js';

/**
 * Escalation checks (after k8s.io/component-helpers/auth/rbac/validation `Covers`): a set of
 * owner rules covers a rule when it covers every single verb × group × resource × name the
 * rule names. Returns the uncovered atomic rules (empty when everything is covered).
 */
export function uncoveredRules(owner: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of wanted) {
    for (const atom of atomize(rule)) if (!owner.some((o) => ruleCovers(o, atom))) missing.push(atom);
  }
  return missing;
}

function atomize(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs) {
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
        for (const name of names)
          out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
      }
    }
  }
  return out;
}

function hasAll(set: readonly string[] | undefined, want: readonly string[] | undefined): boolean {
  const s = set ?? [];
  return (want ?? []).every((w) => s.includes(w));
}

function has(set: readonly string[] | undefined, v: string): boolean {
  return (set ?? []).includes(v);
}

function resourcesCover(set: readonly string[] | undefined, want: readonly string[] | undefined): boolean {
  if (has(set, '*') || hasAll(set, want)) return true;
  for (const path of want ?? []) {
    if (has(set, path)) continue;
    const slash = path.indexOf('/');
    if (slash < 0 || !has(set, `*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function urlsCover(set: readonly string[] | undefined, want: readonly string[] | undefined): boolean {
  return (want ?? []).every((w) =>
    (set ?? []).some((s) => s === '*' || s === w || (s.endsWith('*') && w.startsWith(s.slice(0, -1)))),
  );
}

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups);
  const ownerAnyName = (owner.resourceNames ?? []).length === 0;
  const names =
    (sub.resourceNames ?? []).length === 0
      ? ownerAnyName
      : ownerAnyName || hasAll(owner.resourceNames, sub.resourceNames);
  return (
    verbs &&
    groups &&
    resourcesCover(owner.resources, sub.resources) &&
    urlsCover(owner.nonResourceURLs, sub.nonResourceURLs) &&
    names
  );
}

/** A rule the way upstream's `PolicyRule.CompactString` prints it in escalation errors. */
export function compactRule(rule: PolicyRule): string {
  const q = (l: readonly string[]) => `[${l.map((s) => JSON.stringify(s)).join(' ')}]`;
  const parts: string[] = [];
  if (rule.apiGroups?.length) parts.push(`APIGroups:${q(rule.apiGroups)}`);
  if (rule.resources?.length) parts.push(`Resources:${q(rule.resources)}`);
  if (rule.nonResourceURLs?.length) parts.push(`NonResourceURLs:${q(rule.nonResourceURLs)}`);
  if (rule.resourceNames?.length) parts.push(`ResourceNames:${q(rule.resourceNames)}`);
  if (rule.verbs.length) parts.push(`Verbs:${q(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}
