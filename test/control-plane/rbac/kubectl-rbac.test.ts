import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApiServer, startApiServer, writeKubeconfig } from '../../support/api-server.js';
import { makeTestPki, type TestPki } from '../../support/certs.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const clusterRoles = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: rbac-test-monitoring
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: rbac-test-monitoring-endpoints
  labels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules:
- apiGroups: [""]
  resources: [services, endpoints, pods]
  verbs: [get, list, watch]
`;

// Real kubectl (the dispatcher picks the binary by the server's minor) against the RBAC-enforcing
// API server over TLS: an admin (system:masters) and a plain user "u" in group "devs".
describe.each(['32', '30'])('RBAC with kubectl against minor %s', (minor) => {
  let pki: TestPki;
  let srv: RunningApiServer;
  let admin: NodeJS.ProcessEnv;
  let user: NodeJS.ProcessEnv;

  const kubectl = (env: NodeJS.ProcessEnv, args: readonly string[], input?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile('kubectl', [...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  const ok = async (env: NodeJS.ProcessEnv, args: readonly string[], input?: string): Promise<string> => {
    const r = await kubectl(env, args, input);
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  /** `kubectl auth can-i` as user w in group g, namespace x. */
  const canIasW = (verb: string, resource: string) => [
    ...['auth', 'can-i', verb, resource, '-n', 'x'],
    ...['--as', 'w', '--as-group', 'g'],
  ];

  beforeAll(async () => {
    pki = makeTestPki();
    srv = await startApiServer({
      tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
      minorVersion: minor,
    });
    const adminConfig = writeKubeconfig(pki, srv.url, pki.client('admin', ['system:masters']));
    const userConfig = writeKubeconfig(
      pki,
      srv.url,
      pki.client('u', ['devs']),
      join(pki.dir, 'user-kubeconfig'),
    );
    admin = { PATH: process.env.PATH, HOME: pki.dir, KUBECONFIG: adminConfig };
    user = { PATH: process.env.PATH, HOME: pki.dir, KUBECONFIG: userConfig };
    await ok(admin, ['create', 'namespace', 'rbac-test-ns']);
  });

  afterAll(async () => {
    await srv?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('forbids a user without bindings with the upstream message, and lets discovery through', async () => {
    const r = await kubectl(user, ['get', 'pods', '-n', 'rbac-test-ns']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Error from server (Forbidden): pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "rbac-test-ns"',
    );
    // system:discovery (bound to system:authenticated) lets any user read the API's shape.
    expect(await ok(user, ['api-resources', '--api-group=rbac.authorization.k8s.io'])).toMatch(
      /clusterrolebindings\s+rbac\.authorization\.k8s\.io\/v1\s+false\s+ClusterRoleBinding/,
    );
  });

  it('creates a role and a binding with kubectl create and then allows exactly what they grant', async () => {
    expect(
      await ok(admin, [
        'create',
        'role',
        'pod-reader',
        '--verb=get,list,watch',
        '--resource=pods',
        '-n',
        'rbac-test-ns',
      ]),
    ).toBe('role.rbac.authorization.k8s.io/pod-reader created\n');
    expect(
      await ok(admin, [
        'create',
        'rolebinding',
        'read-pods',
        '--role=pod-reader',
        '--user=u',
        '-n',
        'rbac-test-ns',
      ]),
    ).toBe('rolebinding.rbac.authorization.k8s.io/read-pods created\n');
    expect(await ok(user, ['get', 'pods', '-n', 'rbac-test-ns'])).toBe('');
    const del = await kubectl(user, ['delete', 'pod', 'x', '-n', 'rbac-test-ns']);
    expect(del.stderr).toContain(
      'pods "x" is forbidden: User "u" cannot delete resource "pods" in API group "" in the namespace "rbac-test-ns"',
    );
    expect(await ok(admin, ['get', 'roles', '-n', 'rbac-test-ns'])).toMatch(
      /^NAME\s+CREATED AT\npod-reader\s+\d{4}-\d\d-\d\dT/,
    );
    expect(await ok(admin, ['get', 'rolebindings', '-n', 'rbac-test-ns', '-o', 'wide'])).toMatch(
      /NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nread-pods\s+Role\/pod-reader\s+\S+\s+u\s*\n/,
    );
    expect(await ok(admin, ['get', 'clusterrolebinding', 'cluster-admin'])).toMatch(
      /cluster-admin\s+ClusterRole\/cluster-admin\s+\S+/,
    );
  });

  it('answers kubectl auth can-i, --as, --as-group and --list', async () => {
    expect(await ok(admin, ['auth', 'can-i', 'list', 'pods', '-n', 'rbac-test-ns', '--as', 'u'])).toBe(
      'yes\n',
    );
    const no = await kubectl(admin, ['auth', 'can-i', 'create', 'pods', '-n', 'rbac-test-ns', '--as', 'u']);
    expect([no.code, no.stdout]).toEqual([1, 'no\n']);
    expect(await ok(user, ['auth', 'can-i', 'watch', 'pods', '-n', 'rbac-test-ns'])).toBe('yes\n');
    expect(
      await ok(admin, [
        'auth',
        'can-i',
        'get',
        'secrets',
        '-n',
        'kube-system',
        '--as',
        'v',
        '--as-group',
        'system:masters',
      ]),
    ).toBe('yes\n');
    await ok(admin, ['create', 'namespace', 'x']);
    await ok(admin, ['create', 'serviceaccount', 'y', '-n', 'x']);
    await ok(admin, [
      'create',
      'role',
      'cm-editor',
      '--verb=get,update',
      '--resource=configmaps',
      '--resource-name=settings',
      '-n',
      'x',
    ]);
    await ok(admin, ['create', 'rolebinding', 'y-cm', '--role=cm-editor', '--serviceaccount=x:y', '-n', 'x']);
    const list = await ok(admin, ['auth', 'can-i', '--list', '--as', 'system:serviceaccount:x:y', '-n', 'x']);
    expect(list).toMatch(/configmaps\s+\[\]\s+\[settings\]\s+\[get update\]/);
    expect(list).toMatch(/selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
    expect(list).toMatch(/\[\/api\/\*\]\s+\[\]\s+\[get\]/);
    expect(list).not.toMatch(/^pods/m);
    const whoami = await ok(user, ['auth', 'whoami']);
    expect(whoami).toMatch(/Username\s+u/);
    expect(whoami).toMatch(/Groups\s+\[devs system:authenticated\]/);
  });

  it('checks impersonation with the impersonate verb', async () => {
    const r = await kubectl(user, ['get', 'pods', '-n', 'rbac-test-ns', '--as', 'admin']);
    expect(r.stderr).toContain(
      'users "admin" is forbidden: User "u" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    await ok(admin, [
      'create',
      'clusterrole',
      'impersonate-y',
      '--verb=impersonate',
      '--resource=serviceaccounts',
      '--resource-name=y',
    ]);
    await ok(admin, [
      'create',
      'clusterrolebinding',
      'u-impersonates-y',
      '--clusterrole=impersonate-y',
      '--user=u',
    ]);
    const asY = await kubectl(user, [
      'get',
      'configmap',
      'settings',
      '-n',
      'x',
      '--as',
      'system:serviceaccount:x:y',
    ]);
    expect(asY.stderr).toContain('configmaps "settings" not found');
    const asYPods = await kubectl(user, ['get', 'pods', '-n', 'x', '--as', 'system:serviceaccount:x:y']);
    expect(asYPods.stderr).toContain('User "system:serviceaccount:x:y" cannot list resource "pods"');
  });

  it('prevents escalation through roles and bindings, and keeps roleRef immutable', async () => {
    await ok(admin, [
      'create',
      'role',
      'role-manager',
      '--verb=create,update,get',
      '--resource=roles,rolebindings',
      '-n',
      'rbac-test-ns',
    ]);
    await ok(admin, [
      'create',
      'rolebinding',
      'u-manages-roles',
      '--role=role-manager',
      '--user=u',
      '-n',
      'rbac-test-ns',
    ]);
    const big = await kubectl(user, [
      'create',
      'role',
      'secrets-all',
      '--verb=get',
      '--resource=secrets',
      '-n',
      'rbac-test-ns',
    ]);
    expect(big.code).toBe(1);
    expect(big.stderr).toContain(
      'roles.rbac.authorization.k8s.io "secrets-all" is forbidden: user "u" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
    );
    // What u holds, u may grant.
    expect(
      await ok(user, ['create', 'role', 'pods-again', '--verb=get', '--resource=pods', '-n', 'rbac-test-ns']),
    ).toContain('created');
    const bindAdmin = await kubectl(user, [
      'create',
      'rolebinding',
      'grab',
      '--clusterrole=admin',
      '--user=u',
      '-n',
      'rbac-test-ns',
    ]);
    expect(bindAdmin.stderr).toContain(
      'rolebindings.rbac.authorization.k8s.io "grab" is forbidden: user "u"',
    );
    const change = await kubectl(admin, [
      'patch',
      'rolebinding',
      'read-pods',
      '-n',
      'rbac-test-ns',
      '--type=merge',
      '-p',
      '{"roleRef":{"name":"pods-again"}}',
    ]);
    expect(change.code).toBe(1);
    expect(change.stderr).toContain('roleRef: Invalid value:');
    expect(change.stderr).toContain('cannot change roleRef');
  });

  it('aggregates ClusterRoles by label, including the default admin, edit and view', async () => {
    await ok(admin, ['apply', '-f', '-'], clusterRoles);
    let rules = '';
    for (let i = 0; i < 50 && !rules.includes('endpoints'); i++) {
      rules = await ok(admin, ['get', 'clusterrole', 'rbac-test-monitoring', '-o', 'jsonpath={.rules}']);
      if (!rules.includes('endpoints')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(JSON.parse(rules)).toEqual([
      { apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
    ]);
    const view = await kubectl(admin, canIasW('list', 'deployments.apps'));
    expect([view.code, view.stdout]).toEqual([1, 'no\n']);
    await ok(admin, ['create', 'rolebinding', 'g-view', '--clusterrole=view', '--group=g', '-n', 'x']);
    expect(await ok(admin, canIasW('list', 'deployments.apps'))).toBe('yes\n');
    const noSecrets = await kubectl(admin, canIasW('get', 'secrets'));
    expect(noSecrets.stdout).toBe('no\n');
    await ok(admin, ['create', 'rolebinding', 'g-edit', '--clusterrole=edit', '--group=g', '-n', 'x']);
    expect(await ok(admin, canIasW('get', 'secrets'))).toBe('yes\n');
  });
});
