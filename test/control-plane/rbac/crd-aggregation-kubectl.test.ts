import { describe, expect, it } from 'vitest';
import { useKubectlServer } from '../../support/kubectl-server.js';

const GROUP = 'api-agg.example.com';
const bundle = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: sprockets.${GROUP}}
spec:
  group: ${GROUP}
  scope: Namespaced
  names: {plural: sprockets, singular: sprocket, kind: Sprocket}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: api-agg-sprockets-edit
  labels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}
rules:
- apiGroups: [${GROUP}]
  resources: [sprockets]
  verbs: [create, delete, get, list, patch, update, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: api-agg-sprockets-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- apiGroups: [${GROUP}]
  resources: [sprockets]
  verbs: [get, list, watch]
`;

const sprocket = (name: string) =>
  `{"apiVersion":"${GROUP}/v1","kind":"Sprocket","metadata":{"name":"${name}","namespace":"api-agg"}}`;

// An operator bundle's ClusterRoles labelled aggregate-to-edit / aggregate-to-view extend the
// default edit, view (and, through edit, admin) roles to its custom resource, as upstream.
describe('ClusterRole aggregation of a CRD into edit and view, with kubectl', () => {
  const { ok, kubectl } = useKubectlServer('33');
  const canI = async (user: string, verb: string) =>
    (
      await kubectl(['auth', 'can-i', verb, `sprockets.${GROUP}`, '-n', 'api-agg', '--as', user])
    ).stdout.trim();
  const until = async (what: () => Promise<string>, want: string) => {
    let got = '';
    for (let i = 0; i < 50 && got !== want; i++) {
      got = await what();
      if (got !== want) await new Promise((r) => setTimeout(r, 100));
    }
    return got;
  };

  it('gives edit users the CR rights and view users read rights, and takes them back', async () => {
    await ok(['create', 'namespace', 'api-agg']);
    await ok(['create', 'rolebinding', 'ed', '--clusterrole=edit', '--user=api-editor', '-n', 'api-agg']);
    await ok(['create', 'rolebinding', 'vw', '--clusterrole=view', '--user=api-viewer', '-n', 'api-agg']);
    await ok(['create', 'rolebinding', 'ad', '--clusterrole=admin', '--user=api-admin', '-n', 'api-agg']);
    expect(await canI('api-editor', 'create')).toBe('no');
    await ok(['apply', '-f', '-'], bundle);
    await ok(['wait', '--for', 'condition=established', '--timeout=20s', `crd/sprockets.${GROUP}`]);

    expect(await until(() => canI('api-editor', 'create'), 'yes')).toBe('yes');
    expect(await canI('api-admin', 'delete')).toBe('yes');
    expect(await canI('api-viewer', 'list')).toBe('yes');
    expect(await canI('api-viewer', 'create')).toBe('no');
    const editRules = JSON.parse(await ok(['get', 'clusterrole', 'edit', '-o', 'jsonpath={.rules}']));
    expect(editRules).toContainEqual({
      apiGroups: [GROUP],
      resources: ['sprockets'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    });

    expect(await ok(['create', '-f', '-', '--as', 'api-editor'], sprocket('s1'))).toBe(
      `sprocket.${GROUP}/s1 created\n`,
    );
    expect(await ok(['get', 'sprockets', '-n', 'api-agg', '-o', 'name', '--as', 'api-viewer'])).toBe(
      `sprocket.${GROUP}/s1\n`,
    );
    const denied = await kubectl(['create', '-f', '-', '--as', 'api-viewer'], sprocket('s2'));
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain(
      `is forbidden: User "api-viewer" cannot create resource "sprockets" in API group "${GROUP}" in the namespace "api-agg"`,
    );

    // The aggregated rules follow the labelled roles: deleting one takes its rights back.
    await ok(['delete', 'clusterrole', 'api-agg-sprockets-edit']);
    expect(await until(() => canI('api-editor', 'create'), 'no')).toBe('no');
    expect(await canI('api-editor', 'list')).toBe('yes');
  });
});
