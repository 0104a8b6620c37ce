import { describe, expect, it } from 'vitest';
import { aggregatedRules } from '../../../src/control-plane/rbac/aggregation.js';
import { compactRule, uncoveredRules } from '../../../src/control-plane/rbac/covers.js';
import { PolicyIndex, rulesOf } from '../../../src/control-plane/rbac/policy-index.js';
import type { ClusterPolicyPlural, PolicyWriter } from '../../../src/control-plane/rbac/policy-writer.js';
import { reconcileDefaultPolicy } from '../../../src/control-plane/rbac/reconcile.js';
import { ruleAllows } from '../../../src/control-plane/rbac/rules.js';
import type { RequestAttributes } from '../../../src/control-plane/rbac/types.js';
import type { UntypedObject } from '../../../src/kube/index.js';

const res = (
  verb: string,
  resource: string,
  extra: Partial<Extract<RequestAttributes, { resourceRequest: true }>> = {},
): RequestAttributes => ({
  resourceRequest: true,
  verb,
  group: '',
  resource,
  subresource: undefined,
  namespace: 'ns',
  name: undefined,
  ...extra,
});

describe('ruleAllows', () => {
  const podsRule = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
  it('matches resources, subresources and */subresource as upstream', () => {
    expect(ruleAllows(res('get', 'pods'), podsRule)).toBe(true);
    expect(ruleAllows(res('get', 'pods', { subresource: 'log' }), podsRule)).toBe(false);
    expect(
      ruleAllows(res('get', 'pods', { subresource: 'log' }), { ...podsRule, resources: ['pods/log'] }),
    ).toBe(true);
    const anyStatus = { verbs: ['update'], apiGroups: ['*'], resources: ['*/status'] };
    expect(
      ruleAllows(res('update', 'deployments', { group: 'apps', subresource: 'status' }), anyStatus),
    ).toBe(true);
    expect(ruleAllows(res('update', 'deployments', { group: 'apps', subresource: 'scale' }), anyStatus)).toBe(
      false,
    );
    expect(ruleAllows(res('update', 'deployments', { group: 'apps' }), anyStatus)).toBe(false);
  });

  it('limits by resourceNames, so a list (no name) never matches a named rule', () => {
    const named = { ...podsRule, verbs: ['get', 'list'], resourceNames: ['web'] };
    expect(ruleAllows(res('get', 'pods', { name: 'web' }), named)).toBe(true);
    expect(ruleAllows(res('get', 'pods', { name: 'db' }), named)).toBe(false);
    expect(ruleAllows(res('list', 'pods'), named)).toBe(false);
  });

  it('matches non-resource URLs exactly or by a trailing * prefix', () => {
    const rule = { verbs: ['get'], nonResourceURLs: ['/healthz', '/apis/*'] };
    const path = (p: string, verb = 'get'): RequestAttributes => ({ resourceRequest: false, verb, path: p });
    expect(ruleAllows(path('/healthz'), rule)).toBe(true);
    expect(ruleAllows(path('/healthz/etcd'), rule)).toBe(false);
    expect(ruleAllows(path('/apis/apps/v1'), rule)).toBe(true);
    expect(ruleAllows(path('/healthz', 'post'), rule)).toBe(false);
    expect(ruleAllows(path('/healthz'), podsRule)).toBe(false);
  });
});

describe('PolicyIndex', () => {
  it('applies RoleBindings only in their namespace and ServiceAccount subjects by namespace', () => {
    const index = new PolicyIndex();
    index.set('roles', 'ns', 'reader', {
      rules: [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }],
    });
    index.set('rolebindings', 'ns', 'rb', {
      metadata: { name: 'rb' },
      roleRef: { kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'robot' }],
    });
    const robot = { name: 'system:serviceaccount:ns:robot', groups: [] };
    expect(index.allows(robot, res('list', 'pods'))).toBe(true);
    expect(index.allows(robot, res('list', 'pods', { namespace: 'other' }))).toBe(false);
    expect(index.allows({ name: 'system:serviceaccount:other:robot', groups: [] }, res('list', 'pods'))).toBe(
      false,
    );
    index.set('rolebindings', 'ns', 'rb', undefined);
    expect(index.allows(robot, res('list', 'pods'))).toBe(false);
    expect(index.bindingCount).toBe(0);
  });

  it('never throws on malformed stored objects', () => {
    const index = new PolicyIndex();
    for (const junk of [null, 7, 'x', [], { rules: 'no' }, { rules: [null, { verbs: 'get' }] }])
      index.set('clusterroles', undefined, 'junk', junk);
    for (const junk of [
      null,
      {},
      { roleRef: 5 },
      { metadata: { name: 'b' }, roleRef: { kind: 'Nope', name: 'x' } },
    ])
      index.set('clusterrolebindings', undefined, 'junk', junk);
    expect(rulesOf({ rules: [{ verbs: ['get'], resources: [1, 'pods'] }] })).toEqual([
      {
        verbs: ['get'],
        resources: ['pods'],
        apiGroups: undefined,
        resourceNames: undefined,
        nonResourceURLs: undefined,
      },
    ]);
    expect(index.allows({ name: 'u', groups: [] }, res('get', 'pods'))).toBe(false);
  });
});

describe('escalation coverage', () => {
  it('finds what the owner lacks, atom by atom, in upstream form', () => {
    const owner = [
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'services'] },
      { verbs: ['get'], apiGroups: [''], resources: ['*/status'] },
    ];
    expect(
      uncoveredRules(owner, [{ verbs: ['get'], apiGroups: [''], resources: ['pods', 'pods/status'] }]),
    ).toEqual([]);
    const missing = uncoveredRules(owner, [
      { verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] },
    ]);
    expect(missing.map(compactRule)).toEqual(['{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}']);
    const named = [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] }];
    expect(uncoveredRules(named, [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'] }])).toHaveLength(
      1,
    );
    expect(
      uncoveredRules(named, [
        { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['a'] },
      ]),
    ).toEqual([]);
    expect(
      uncoveredRules(
        [{ verbs: ['*'], nonResourceURLs: ['/api/*'] }],
        [{ verbs: ['get'], nonResourceURLs: ['/api/v1'] }],
      ),
    ).toEqual([]);
  });
});

describe('aggregation and reconciliation', () => {
  it('aggregates the rules of labelled ClusterRoles by name, without duplicates', () => {
    const role = (name: string, labels: Record<string, string>, verbs: string[]): UntypedObject => ({
      metadata: { name, labels },
      rules: [{ verbs, apiGroups: [''], resources: ['pods'] }],
    });
    const agg: UntypedObject = {
      metadata: { name: 'agg' },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'true' } }] },
    };
    const all = [
      agg,
      role('z', { a: 'true' }, ['get']),
      role('b', { a: 'true' }, ['list']),
      role('c', {}, ['delete']),
      role('d', { a: 'true' }, ['get']),
    ];
    expect(aggregatedRules(agg, all)).toEqual([
      { verbs: ['list'], apiGroups: [''], resources: ['pods'] },
      { verbs: ['get'], apiGroups: [''], resources: ['pods'] },
    ]);
  });

  it('creates the defaults once, keeps what an operator added and honours autoupdate=false', async () => {
    const stores: Record<ClusterPolicyPlural, Map<string, UntypedObject>> = {
      clusterroles: new Map(),
      clusterrolebindings: new Map(),
    };
    let writes = 0;
    const writer: PolicyWriter = {
      get: async (p, n) => structuredClone(stores[p].get(n)),
      list: async (p) => [...stores[p].values()],
      create: async (p, o) => {
        writes++;
        stores[p].set(String(o.metadata?.name), o);
      },
      update: async (p, n, change) => {
        const next = change(structuredClone(stores[p].get(n)!));
        if (next) {
          writes++;
          stores[p].set(n, next);
        }
      },
      delete: async (p, n) => {
        writes++;
        stores[p].delete(n);
      },
    };
    await reconcileDefaultPolicy(writer);
    expect(stores.clusterroles.get('cluster-admin')?.rules).toEqual([
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]);
    expect(stores.clusterrolebindings.get('system:discovery')?.subjects).toEqual([
      { kind: 'Group', name: 'system:authenticated', apiGroup: 'rbac.authorization.k8s.io' },
    ]);
    const first = writes;
    await reconcileDefaultPolicy(writer);
    expect(writes).toBe(first);
    const extra = { verbs: ['get'], nonResourceURLs: ['/metrics'] };
    stores.clusterroles.get('system:discovery')!.rules = [extra];
    const pinned = stores.clusterroles.get('system:basic-user')!;
    pinned.metadata!.annotations = { 'rbac.authorization.kubernetes.io/autoupdate': 'false' };
    pinned.rules = [];
    await reconcileDefaultPolicy(writer);
    const discovery = stores.clusterroles.get('system:discovery')!.rules as unknown[];
    expect(discovery[0]).toEqual(extra);
    expect(discovery.length).toBe(2);
    expect(stores.clusterroles.get('system:basic-user')!.rules).toEqual([]);
  });
});
