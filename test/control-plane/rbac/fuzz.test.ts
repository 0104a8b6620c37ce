import { describe, expect, it } from 'vitest';
import { PolicyIndex } from '../../../src/control-plane/rbac/policy-index.js';
import type { RequestAttributes } from '../../../src/control-plane/rbac/types.js';
import { prng } from '../../support/prng.js';

// An RBAC fuzz test: random users × verbs × resources × namespaces against a random set of roles
// and bindings, decided by the indexed evaluator and by a reference evaluator written here from
// the Kubernetes documentation (a plain scan of every binding, no index), which must agree.

interface Rule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}
interface Binding {
  namespace?: string;
  name: string;
  roleRef: { kind: string; name: string };
  subjects: Subject[];
}
interface World {
  clusterRoles: Map<string, Rule[]>;
  roles: Map<string, Rule[]>;
  clusterBindings: Binding[];
  roleBindings: Binding[];
}
type Request = RequestAttributes;
interface User {
  name: string;
  groups: string[];
}

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'escalate', 'bind'];
const GROUPS = ['', 'apps', 'batch', 'rbac.authorization.k8s.io'];
const RESOURCES = ['pods', 'deployments', 'jobs', 'roles', 'secrets'];
const SUBRESOURCES = ['status', 'log', 'scale'];
const NAMESPACES = ['a', 'b', 'c'];
const NAMES = ['n1', 'n2', 'n3'];
const PATHS = ['/healthz', '/api', '/api/v1', '/apis/apps', '/version', '/metrics'];
const USERS = ['alice', 'bob', 'carol', 'system:serviceaccount:a:robot', 'system:serviceaccount:b:robot'];
const USER_GROUPS = ['dev', 'ops', 'qa', 'system:serviceaccounts'];

/** Reference: does one rule allow the request (per the RBAC docs, written independently). */
function refRuleAllows(rule: Rule, req: Request): boolean {
  const verbOk = rule.verbs.includes('*') || rule.verbs.includes(req.verb);
  if (!verbOk) return false;
  if (!req.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some((u) =>
      u === '*' ? true : u.endsWith('*') ? req.path.startsWith(u.slice(0, -1)) : u === req.path,
    );
  }
  const groupOk = (rule.apiGroups ?? []).some((g) => g === '*' || g === req.group);
  const full = req.subresource ? `${req.resource}/${req.subresource}` : req.resource;
  const resourceOk = (rule.resources ?? []).some(
    (r) => r === '*' || r === full || (req.subresource !== undefined && r === `*/${req.subresource}`),
  );
  const names = rule.resourceNames ?? [];
  const nameOk = names.length === 0 || (req.name !== undefined && names.includes(req.name));
  return groupOk && resourceOk && nameOk;
}

function refSubjectMatches(s: Subject, user: User, bindingNamespace: string | undefined): boolean {
  if (s.kind === 'User') return s.name === user.name;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace || bindingNamespace;
    return ns !== undefined && user.name === `system:serviceaccount:${ns}:${s.name}`;
  }
  return false;
}

function refAllows(world: World, user: User, req: Request): boolean {
  const rulesOf = (b: Binding): Rule[] =>
    b.roleRef.kind === 'ClusterRole'
      ? (world.clusterRoles.get(b.roleRef.name) ?? [])
      : (world.roles.get(`${b.namespace}/${b.roleRef.name}`) ?? []);
  for (const b of world.clusterBindings) {
    if (
      b.subjects.some((s) => refSubjectMatches(s, user, undefined)) &&
      rulesOf(b).some((r) => refRuleAllows(r, req))
    )
      return true;
  }
  const ns = req.resourceRequest ? req.namespace : undefined;
  if (!ns) return false;
  for (const b of world.roleBindings) {
    if (b.namespace !== ns) continue;
    if (
      b.subjects.some((s) => refSubjectMatches(s, user, b.namespace)) &&
      rulesOf(b).some((r) => refRuleAllows(r, req))
    )
      return true;
  }
  return false;
}

function randomWorld(rand: () => number): World {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const some = <T>(xs: readonly T[], star?: T): T[] => {
    if (star !== undefined && rand() < 0.1) return [star];
    const out = xs.filter(() => rand() < 0.35);
    return out.length ? out : [pick(xs)];
  };
  const rule = (namespaced: boolean): Rule => {
    const verbs = some(VERBS, '*');
    if (!namespaced && rand() < 0.2)
      return { verbs, nonResourceURLs: some([...PATHS, '/api/*', '/apis/*'], '*') };
    const resources = some(
      [
        ...RESOURCES,
        ...RESOURCES.flatMap((r) => SUBRESOURCES.map((s) => `${r}/${s}`)),
        '*/status',
        '*/scale',
      ],
      '*',
    );
    return {
      verbs,
      apiGroups: some(GROUPS, '*'),
      resources,
      ...(rand() < 0.25 ? { resourceNames: some(NAMES) } : {}),
    };
  };
  const rules = (namespaced: boolean) =>
    Array.from({ length: 1 + Math.floor(rand() * 3) }, () => rule(namespaced));
  const subject = (): Subject => {
    const r = rand();
    if (r < 0.4) return { kind: 'User', name: pick(USERS) };
    if (r < 0.75) return { kind: 'Group', name: pick(USER_GROUPS) };
    return rand() < 0.5
      ? { kind: 'ServiceAccount', name: 'robot', namespace: pick(NAMESPACES) }
      : { kind: 'ServiceAccount', name: 'robot' };
  };
  const world: World = { clusterRoles: new Map(), roles: new Map(), clusterBindings: [], roleBindings: [] };
  for (let i = 0; i < 6; i++) world.clusterRoles.set(`cr${i}`, rules(false));
  for (const ns of NAMESPACES) for (let i = 0; i < 3; i++) world.roles.set(`${ns}/r${i}`, rules(true));
  for (let i = 0; i < 4; i++) {
    world.clusterBindings.push({
      name: `crb${i}`,
      // cr6 does not exist: a binding to a missing role grants nothing.
      roleRef: { kind: 'ClusterRole', name: `cr${Math.floor(rand() * 7)}` },
      subjects: Array.from({ length: 1 + Math.floor(rand() * 2) }, subject).filter(
        (s) => s.kind !== 'ServiceAccount' || s.namespace,
      ),
    });
  }
  for (const ns of NAMESPACES) {
    for (let i = 0; i < 4; i++) {
      world.roleBindings.push({
        namespace: ns,
        name: `rb${i}`,
        roleRef:
          rand() < 0.5
            ? { kind: 'Role', name: `r${Math.floor(rand() * 4)}` }
            : { kind: 'ClusterRole', name: `cr${Math.floor(rand() * 6)}` },
        subjects: Array.from({ length: 1 + Math.floor(rand() * 3) }, subject),
      });
    }
  }
  return world;
}

function indexOf(world: World): PolicyIndex {
  const index = new PolicyIndex();
  const rbac = 'rbac.authorization.k8s.io';
  for (const [name, rules] of world.clusterRoles)
    index.set('clusterroles', undefined, name, { metadata: { name }, rules });
  for (const [key, rules] of world.roles) {
    const [ns, name] = key.split('/') as [string, string];
    index.set('roles', ns, name, { metadata: { name, namespace: ns }, rules });
  }
  const toObj = (b: Binding) => ({
    metadata: { name: b.name, namespace: b.namespace },
    roleRef: { apiGroup: rbac, ...b.roleRef },
    subjects: b.subjects,
  });
  for (const b of world.clusterBindings) index.set('clusterrolebindings', undefined, b.name, toObj(b));
  for (const b of world.roleBindings) index.set('rolebindings', b.namespace, b.name, toObj(b));
  return index;
}

function randomRequest(rand: () => number): { user: User; req: Request } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const name = pick(USERS);
  const user: User = { name, groups: USER_GROUPS.filter(() => rand() < 0.3) };
  if (rand() < 0.15) {
    return { user, req: { resourceRequest: false, verb: pick(['get', 'post']), path: pick(PATHS) } };
  }
  const req: Request = {
    resourceRequest: true,
    verb: pick(VERBS),
    group: pick(GROUPS),
    resource: pick(RESOURCES),
    subresource: rand() < 0.3 ? pick(SUBRESOURCES) : undefined,
    namespace: rand() < 0.8 ? pick(NAMESPACES) : undefined,
    name: rand() < 0.5 ? pick(NAMES) : undefined,
  };
  return { user, req };
}

describe('RBAC evaluator fuzz', () => {
  it('agrees with the reference evaluator on 10,000 random requests over 20 random policies', () => {
    let cases = 0;
    let allowed = 0;
    const disagreements: string[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const rand = prng(seed * 7919);
      const world = randomWorld(rand);
      const index = indexOf(world);
      for (let i = 0; i < 500; i++) {
        const { user, req } = randomRequest(rand);
        const want = refAllows(world, user, req);
        const got = index.allows(user, req);
        cases++;
        if (want) allowed++;
        if (want !== got)
          disagreements.push(`seed ${seed} case ${i}: ${JSON.stringify({ user, req, want, got })}`);
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(cases).toBe(10_000);
    // The generated policies are neither all-deny nor all-allow, so agreement means something.
    expect(allowed).toBeGreaterThan(1000);
    expect(allowed).toBeLessThan(9000);
  });
});
