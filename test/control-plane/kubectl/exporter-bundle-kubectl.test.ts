import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORTER_NS, EXPORTER_SA, exporterBundle } from '../../fixtures/bundles/exporter-bundle.js';
import { writeBundle } from '../../fixtures/bundles/write-bundle.js';
import { useKubectlServer } from '../../support/kubectl-server.js';

const sa = `system:serviceaccount:${EXPORTER_NS}:${EXPORTER_SA}`;
const lw = '[list watch]';
const resourceRow = (resource: string, verbs = lw, names = '[]') => [resource, '[]', names, verbs];
const urlRow = (url: string) => [`[${url}]`, '[]', '[get]'];

/**
 * What `kubectl auth can-i --list` prints for the exporter: its ClusterRole and Role, plus what
 * every authenticated service account gets from the default bindings (system:basic-user,
 * system:discovery, system:public-info-viewer, system:service-account-issuer-discovery).
 * Non-resource rules are not compacted by kubectl, so URLs granted twice print twice.
 */
const expected = [
  ...['configmaps', 'secrets', 'nodes', 'pods', 'services', 'serviceaccounts', 'resourcequotas']
    .concat(['replicationcontrollers', 'limitranges', 'persistentvolumeclaims', 'persistentvolumes'])
    .concat(['namespaces', 'endpoints'])
    .map((r) => resourceRow(r)),
  ...['statefulsets', 'daemonsets', 'deployments', 'replicasets'].map((r) => resourceRow(`${r}.apps`)),
  ...['cronjobs', 'jobs'].map((r) => resourceRow(`${r}.batch`)),
  resourceRow('horizontalpodautoscalers.autoscaling'),
  resourceRow('tokenreviews.authentication.k8s.io', '[create]'),
  resourceRow('subjectaccessreviews.authorization.k8s.io', '[create]'),
  resourceRow('poddisruptionbudgets.policy'),
  resourceRow('networkpolicies.networking.k8s.io'),
  resourceRow('ingresses.networking.k8s.io'),
  resourceRow('leases.coordination.k8s.io'),
  resourceRow('secrets', '[get]', '[state-exporter-tls]'),
  resourceRow('selfsubjectreviews.authentication.k8s.io', '[create]'),
  resourceRow('selfsubjectaccessreviews.authorization.k8s.io', '[create]'),
  resourceRow('selfsubjectrulesreviews.authorization.k8s.io', '[create]'),
  ...['/metrics', '/metrics/cadvisor'].map(urlRow),
  ...['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*'].map(urlRow),
  ...['/healthz', '/livez', '/readyz', '/version', '/version/'].flatMap((u) => [urlRow(u), urlRow(u)]),
  ...['/.well-known/openid-configuration', '/.well-known/openid-configuration/'].map(urlRow),
  ...['/openid/v1/jwks', '/openid/v1/jwks/'].map(urlRow),
];

const sortRows = (rows: string[][]) => rows.map((r) => r.join(' | ')).sort();

describe.each(['33', '30'])('kubectl %s and an exporter bundle', (minor) => {
  const { kubectl, ok } = useKubectlServer(minor);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tugboat-bundles-exporter-'));
    writeBundle(dir, { 'exporter.yaml': exporterBundle() });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('applies the bundle, and auth can-i --list answers exactly what its bindings grant', async () => {
    const applied = await ok(['apply', '-f', dir]);
    expect(applied.trim().split('\n')).toEqual([
      `namespace/${EXPORTER_NS} created`,
      `serviceaccount/${EXPORTER_SA} created`,
      `clusterrole.rbac.authorization.k8s.io/${EXPORTER_SA} created`,
      `clusterrolebinding.rbac.authorization.k8s.io/${EXPORTER_SA} created`,
      `role.rbac.authorization.k8s.io/${EXPORTER_SA}-tls created`,
      `rolebinding.rbac.authorization.k8s.io/${EXPORTER_SA}-tls created`,
      `deployment.apps/${EXPORTER_SA} created`,
    ]);
    expect(await ok(['apply', '-f', dir])).toContain(`deployment.apps/${EXPORTER_SA} unchanged`);

    const list = await ok(['auth', 'can-i', '--list', '--as', sa, '-n', EXPORTER_NS]);
    const [header, ...lines] = list.trimEnd().split('\n');
    expect(header!.trim().split(/\s{2,}/)).toEqual([
      'Resources',
      'Non-Resource URLs',
      'Resource Names',
      'Verbs',
    ]);
    const rows = lines.map((l) => l.trim().split(/\s{2,}/));
    expect(sortRows(rows)).toEqual(sortRows(expected));

    // In another namespace the Role's row is gone; the ClusterRole's stay.
    const elsewhere = await ok(['auth', 'can-i', '--list', '--as', sa, '-n', 'default']);
    expect(elsewhere).not.toContain('state-exporter-tls');
    expect(elsewhere).toMatch(/^pods\s+\[\]\s+\[\]\s+\[list watch\]$/m);

    const can = async (...args: string[]) =>
      (await kubectl(['auth', 'can-i', ...args, '--as', sa])).stdout.trim();
    expect(await can('watch', 'pods', '--all-namespaces')).toBe('yes');
    expect(await can('get', 'secrets/state-exporter-tls', '-n', EXPORTER_NS)).toBe('yes');
    expect(await can('get', 'secrets/other', '-n', EXPORTER_NS)).toBe('no');
    expect(await can('get', 'pods', '-n', EXPORTER_NS)).toBe('no');
    expect(await can('create', 'deployments.apps', '-n', EXPORTER_NS)).toBe('no');
    expect(await can('get', '/metrics')).toBe('yes');
    expect(await can('get', '/logs')).toBe('no');
    // The exporter's own reads, as it makes them, and one write it may not make.
    expect(await ok(['get', 'deployments', '-A', '--as', sa, '-o', 'name'])).toContain(
      `deployment.apps/${EXPORTER_SA}`,
    );
    const denied = await kubectl(['delete', 'deployment', EXPORTER_SA, '-n', EXPORTER_NS, '--as', sa]);
    expect(denied.stderr).toContain(
      `deployments.apps "${EXPORTER_SA}" is forbidden: User "${sa}" cannot delete resource "deployments" in API group "apps" in the namespace "${EXPORTER_NS}"`,
    );
  }, 240_000);
});
