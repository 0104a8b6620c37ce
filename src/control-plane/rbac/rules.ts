import type { PolicyRule, RequestAttributes } from './types.js';

/**
 * Whether one rule allows a request, exactly as k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac
 * `RuleAllows`: verbs, API groups, resources (`*`, `resource/subresource`, `*\/subresource`) and
 * resourceNames for resource requests; verbs and nonResourceURLs (exact or a trailing `*` prefix)
 * for the rest.
 */
export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if (attrs.resourceRequest) {
    const combined = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    return (
      has(rule.apiGroups, attrs.group) &&
      resourceMatches(rule.resources, combined, attrs.subresource) &&
      nameMatches(rule.resourceNames, attrs.name)
    );
  }
  return nonResourceURLMatches(rule.nonResourceURLs, attrs.path);
}

function has(list: readonly string[] | undefined, value: string): boolean {
  if (!list) return false;
  for (const item of list) if (item === '*' || item === value) return true;
  return false;
}

function resourceMatches(
  resources: readonly string[] | undefined,
  combined: string,
  subresource: string | undefined,
): boolean {
  if (!resources) return false;
  for (const r of resources) {
    if (r === '*' || r === combined) return true;
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource))
      return true;
  }
  return false;
}

function nameMatches(names: readonly string[] | undefined, name: string | undefined): boolean {
  if (!names || names.length === 0) return true;
  return name !== undefined && names.includes(name);
}

function nonResourceURLMatches(urls: readonly string[] | undefined, path: string): boolean {
  if (!urls) return false;
  for (const u of urls) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

/** Whether any of `rules` allows the request. */
export function rulesAllow(attrs: RequestAttributes, rules: readonly PolicyRule[]): boolean {
  for (const rule of rules) if (ruleAllows(attrs, rule)) return true;
  return false;
}
