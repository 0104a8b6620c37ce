import { rulesAllow } from './rules.js';
import type { PolicyRule, PolicyUser, RequestAttributes, RoleRef, Subject } from './types.js';

/** The RBAC kinds the index holds, by plural. */
export type RbacPlural = 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings';

interface Binding {
  readonly namespace: string | undefined;
  readonly name: string;
  readonly roleRef: RoleRef;
  readonly keys: readonly string[];
}

type Obj = Record<string, unknown>;

function rec(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined;
}

/** The rules of a stored Role or ClusterRole, dropping anything malformed (never throws). */
export function rulesOf(obj: unknown): PolicyRule[] {
  const rules = rec(obj)?.rules;
  if (!Array.isArray(rules)) return [];
  const out: PolicyRule[] = [];
  for (const r of rules) {
    const rule = rec(r);
    const verbs = strings(rule?.verbs);
    if (!rule || !verbs) continue;
    out.push({
      verbs,
      apiGroups: strings(rule.apiGroups),
      resources: strings(rule.resources),
      resourceNames: strings(rule.resourceNames),
      nonResourceURLs: strings(rule.nonResourceURLs),
    });
  }
  return out;
}

/** The index key of a subject (`namespace` defaults a ServiceAccount's namespace, as upstream). */
export function subjectKey(subject: Subject, namespace: string | undefined): string | undefined {
  switch (subject.kind) {
    case 'User':
      return `u\u0000${subject.name}`;
    case 'Group':
      return `g\u0000${subject.name}`;
    case 'ServiceAccount': {
      const ns = subject.namespace || namespace;
      return ns ? `u\u0000system:serviceaccount:${ns}:${subject.name}` : undefined;
    }
    default:
      return undefined;
  }
}

/** The index keys a user matches: its name and each of its groups. */
export function userKeys(user: PolicyUser): string[] {
  return [`u\u0000${user.name}`, ...user.groups.map((g) => `g\u0000${g}`)];
}

function bindingOf(obj: unknown, namespace: string | undefined): Binding | undefined {
  const o = rec(obj);
  const name = rec(o?.metadata)?.name;
  const ref = rec(o?.roleRef);
  if (typeof name !== 'string' || !ref || typeof ref.name !== 'string') return undefined;
  if (ref.kind !== 'Role' && ref.kind !== 'ClusterRole') return undefined;
  const keys = new Set<string>();
  for (const s of Array.isArray(o?.subjects) ? o.subjects : []) {
    const subject = rec(s);
    if (!subject || typeof subject.name !== 'string') continue;
    const key = subjectKey(subject as unknown as Subject, namespace);
    if (key) keys.add(key);
  }
  return {
    namespace,
    name,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: ref.kind, name: ref.name },
    keys: [...keys],
  };
}

/**
 * Roles and bindings in memory, bindings indexed by subject so that deciding a request looks only
 * at the bindings naming the user or one of its groups (never a scan of every binding).
 */
export class PolicyIndex {
  private readonly clusterRoles = new Map<string, PolicyRule[]>();
  private readonly roles = new Map<string, PolicyRule[]>();
  private readonly bindings = new Map<string, Binding>();
  /** `<namespace or empty>\0<subject key>` → binding ids. */
  private readonly bySubject = new Map<string, Set<string>>();

  /** Adds or replaces a stored object (undefined `obj` removes it). */
  set(plural: RbacPlural, namespace: string | undefined, name: string, obj: unknown): void {
    const ns = plural === 'roles' || plural === 'rolebindings' ? (namespace ?? '') : '';
    const id = `${ns}/${name}`;
    if (plural === 'clusterroles') {
      if (obj === undefined) this.clusterRoles.delete(name);
      else this.clusterRoles.set(name, rulesOf(obj));
      return;
    }
    if (plural === 'roles') {
      if (obj === undefined) this.roles.delete(id);
      else this.roles.set(id, rulesOf(obj));
      return;
    }
    const bid = `${plural === 'rolebindings' ? 'r' : 'c'}${id}`;
    const old = this.bindings.get(bid);
    if (old) {
      for (const key of old.keys) {
        const set = this.bySubject.get(`${ns}\u0000${key}`);
        set?.delete(bid);
        if (set?.size === 0) this.bySubject.delete(`${ns}\u0000${key}`);
      }
      this.bindings.delete(bid);
    }
    if (obj === undefined) return;
    const binding = bindingOf(obj, plural === 'rolebindings' ? ns : undefined);
    if (!binding) return;
    this.bindings.set(bid, binding);
    for (const key of binding.keys) {
      const k = `${ns}\u0000${key}`;
      let set = this.bySubject.get(k);
      if (!set) {
        set = new Set();
        this.bySubject.set(k, set);
      }
      set.add(bid);
    }
  }

  /** Forgets everything (before a relist). */
  clear(): void {
    this.clusterRoles.clear();
    this.roles.clear();
    this.bindings.clear();
    this.bySubject.clear();
  }

  /** The rules of a role reference; empty when the role does not exist (as upstream). */
  roleRules(ref: RoleRef, namespace: string | undefined): readonly PolicyRule[] {
    if (ref.kind === 'ClusterRole') return this.clusterRoles.get(ref.name) ?? [];
    return this.roles.get(`${namespace ?? ''}/${ref.name}`) ?? [];
  }

  /** Whether the role a binding refers to exists. */
  hasRole(ref: RoleRef, namespace: string | undefined): boolean {
    return ref.kind === 'ClusterRole'
      ? this.clusterRoles.has(ref.name)
      : this.roles.has(`${namespace ?? ''}/${ref.name}`);
  }

  /** The bindings applying to `user`: cluster-wide ones, then those of `namespace`. */
  private *bindingsFor(user: PolicyUser, namespace: string | undefined): Generator<Binding> {
    const keys = userKeys(user);
    const scopes = namespace ? ['', namespace] : [''];
    const seen = new Set<string>();
    for (const scope of scopes) {
      for (const key of keys) {
        const ids = this.bySubject.get(`${scope}\u0000${key}`);
        if (!ids) continue;
        for (const id of ids) {
          if (seen.has(id)) continue;
          seen.add(id);
          const b = this.bindings.get(id);
          if (b) yield b;
        }
      }
    }
  }

  /** Whether some binding of `user` grants the request. */
  allows(user: PolicyUser, attrs: RequestAttributes): boolean {
    const namespace = attrs.resourceRequest ? attrs.namespace : undefined;
    for (const b of this.bindingsFor(user, namespace)) {
      if (rulesAllow(attrs, this.roleRules(b.roleRef, b.namespace))) return true;
    }
    return false;
  }

  /** Every rule granted to `user` in `namespace` (cluster-wide rules included). */
  rulesFor(user: PolicyUser, namespace: string | undefined): PolicyRule[] {
    const out: PolicyRule[] = [];
    for (const b of this.bindingsFor(user, namespace)) out.push(...this.roleRules(b.roleRef, b.namespace));
    return out;
  }

  /** Number of bindings held (for tests and the bench). */
  get bindingCount(): number {
    return this.bindings.size;
  }
}
