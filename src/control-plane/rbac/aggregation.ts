import type { LabelSelector, UntypedObject } from '../../kube/index.js';
import { matchesSelector } from '../machinery/labels.js';
import type { PolicyWriter } from './policy-writer.js';

function selectorsOf(role: UntypedObject): LabelSelector[] {
  const agg = role.aggregationRule as { clusterRoleSelectors?: unknown } | undefined;
  const list = agg?.clusterRoleSelectors;
  return Array.isArray(list)
    ? list.filter((s): s is LabelSelector => typeof s === 'object' && s !== null)
    : [];
}

/**
 * The rules an aggregated ClusterRole should hold: those of every other ClusterRole matching one of
 * its selectors, by role name, without duplicates (upstream's clusterrole-aggregation controller).
 */
export function aggregatedRules(role: UntypedObject, all: readonly UntypedObject[]): unknown[] {
  const selectors = selectorsOf(role);
  const name = role.metadata?.name;
  const picked = all
    .filter((r) => r.metadata?.name !== name)
    .filter((r) => selectors.some((s) => matchesSelector(s, r.metadata?.labels)))
    .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  const rules: unknown[] = [];
  const seen = new Set<string>();
  for (const r of picked) {
    for (const rule of Array.isArray(r.rules) ? r.rules : []) {
      const key = JSON.stringify(rule);
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push(rule);
    }
  }
  return rules;
}

/**
 * One pass of ClusterRole aggregation: every ClusterRole with an aggregationRule gets the rules
 * its selectors pick. Aggregated roles may feed others (edit into admin), so passes repeat until
 * nothing changes (bounded by the number of roles). Returns the number of roles rewritten.
 */
export async function aggregateClusterRoles(writer: PolicyWriter): Promise<number> {
  let changed = 0;
  const all = await writer.list('clusterroles');
  for (let pass = 0; pass <= all.length; pass++) {
    let passChanged = false;
    for (const role of all) {
      if (selectorsOf(role).length === 0) continue;
      const rules = aggregatedRules(role, all);
      if (JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) continue;
      const name = String(role.metadata?.name);
      await writer.update('clusterroles', name, (cur) =>
        selectorsOf(cur).length ? { ...cur, rules } : undefined,
      );
      role.rules = rules;
      passChanged = true;
      changed++;
    }
    if (!passChanged) break;
  }
  return changed;
}
