import type { UntypedObject } from '../../kube/index.js';
import {
  type DefaultClusterRole,
  type DefaultClusterRoleBinding,
  defaultClusterRoleBindings,
  defaultClusterRoles,
} from './bootstrap-policy.js';
import type { PolicyWriter } from './policy-writer.js';

const API_VERSION = 'rbac.authorization.k8s.io/v1';
const AUTOUPDATE = 'rbac.authorization.kubernetes.io/autoupdate';
const BOOTSTRAP_LABEL = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

type Obj = Record<string, unknown>;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function union(have: unknown, want: readonly unknown[]): unknown[] {
  const out = Array.isArray(have) ? [...have] : [];
  for (const w of want) if (!out.some((h) => same(h, w))) out.push(w);
  return out;
}

function metadata(name: string, labels: Readonly<Record<string, string>> = {}): UntypedObject['metadata'] {
  return { name, labels: { ...BOOTSTRAP_LABEL, ...labels }, annotations: { [AUTOUPDATE]: 'true' } };
}

function roleObject(role: DefaultClusterRole): UntypedObject {
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterRole',
    metadata: metadata(role.name, role.labels),
    ...(role.aggregateFrom
      ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [role.aggregateFrom]: 'true' } }] } }
      : {}),
    rules: role.rules,
  };
}

function bindingObject(binding: DefaultClusterRoleBinding): UntypedObject {
  return {
    apiVersion: API_VERSION,
    kind: 'ClusterRoleBinding',
    metadata: metadata(binding.name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: binding.role },
    subjects: binding.subjects.map((s) => ({ ...s, apiGroup: 'rbac.authorization.k8s.io' })),
  };
}

function autoupdate(obj: UntypedObject): boolean {
  return obj.metadata?.annotations?.[AUTOUPDATE] !== 'false';
}

/**
 * Reconciles the default ClusterRoles and ClusterRoleBindings (kube-apiserver's
 * `rbac/bootstrap-roles` post-start hook): missing ones are created; existing ones not annotated
 * `rbac.authorization.kubernetes.io/autoupdate: "false"` get the missing default rules, labels,
 * aggregation rule and subjects added (what an operator added is kept); a binding whose roleRef
 * differs is recreated, since roleRef cannot change. Idempotent.
 */
export async function reconcileDefaultPolicy(writer: PolicyWriter): Promise<void> {
  for (const role of defaultClusterRoles) {
    const want = roleObject(role);
    const current = await writer.get('clusterroles', role.name);
    if (!current) {
      await writer.create('clusterroles', want);
      continue;
    }
    if (!autoupdate(current)) continue;
    await writer.update('clusterroles', role.name, (cur) => {
      const next: Obj = structuredClone(cur);
      const meta = next.metadata as Obj;
      meta.labels = { ...(meta.labels as Obj | undefined), ...want.metadata?.labels };
      // Aggregated roles get their rules from the aggregation controller, not from here.
      if (!role.aggregateFrom) next.rules = union(cur.rules, role.rules);
      else next.aggregationRule = want.aggregationRule;
      return same(next, cur) ? undefined : (next as UntypedObject);
    });
  }
  for (const binding of defaultClusterRoleBindings) {
    const want = bindingObject(binding);
    const current = await writer.get('clusterrolebindings', binding.name);
    if (current && !autoupdate(current)) continue;
    if (current && !same(current.roleRef, want.roleRef))
      await writer.delete('clusterrolebindings', binding.name);
    if (!current || !same(current.roleRef, want.roleRef)) {
      await writer.create('clusterrolebindings', want);
      continue;
    }
    await writer.update('clusterrolebindings', binding.name, (cur) => {
      const subjects = union(cur.subjects, want.subjects as unknown[]);
      return same(subjects, cur.subjects ?? []) ? undefined : { ...cur, subjects };
    });
  }
}
