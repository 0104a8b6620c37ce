import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '../../src/client/client.js';
import { resources } from '../../src/client/types.js';
import type { LocalTestCluster } from '../support/local-cluster.js';
import { viewBinding } from './dashboard-http.js';

/** A one-replica Deployment NAME in `default` running COMMAND in `local/busybox` (container `main`). */
export function busyboxDeployment(
  name: string,
  command: readonly string[],
  env: readonly { name: string; value: string }[] = [],
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'local/busybox', command, env }] },
      },
    },
  };
}

/**
 * A service account NAME in `default` bound to the built-in `view` ClusterRole, and a kubeconfig
 * file (in the cluster's HOME) that speaks as it with a bound token; returns the file's path.
 */
export async function viewerKubeconfig(
  cluster: LocalTestCluster,
  admin: KubeClient,
  name: string,
): Promise<string> {
  await admin.create(resources.serviceAccounts, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: 'default' },
  } as never);
  await admin.create(
    resources.clusterRoleBindings,
    viewBinding(name, { kind: 'ServiceAccount', name, namespace: 'default' }) as never,
  );
  const answer = await admin.createSubresource<{ status: { token: string } }>(
    resources.serviceAccounts,
    name,
    'token',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    'default',
  );
  const file = join(cluster.env.HOME as string, `${name}-kubeconfig`);
  const ca = Buffer.from(cluster.tls.ca).toString('base64');
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "${cluster.server}", certificate-authority-data: ${ca}}\n` +
      `users:\n- name: viewer\n  user: {token: "${answer.status.token}"}\n` +
      'contexts:\n- name: viewer\n  context: {cluster: c, user: viewer}\ncurrent-context: viewer\n',
  );
  return file;
}
