import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { KubeClient } from '../../src/client/client.js';

/** Timeouts of {@link adminClient}; KubeClient's own defaults where absent. */
export interface AdminClientTimeouts {
  readonly timeoutMs?: number;
  /** An address that drops packets would otherwise hold a request for KubeClient's 30 s. */
  readonly connectTimeoutMs?: number;
}

/** An admin client from a kubeconfig tugboat wrote (one cluster, one user, certificates inline). */
export function adminClient(kubeconfig: string, timeouts: AdminClientTimeouts = {}): KubeClient {
  const doc = parse(readFileSync(kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const text = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  const cluster = doc.clusters[0]!.cluster;
  const user = doc.users[0]!.user;
  return new KubeClient({
    server: cluster.server,
    ca: text(cluster['certificate-authority-data']),
    cert: text(user['client-certificate-data']),
    key: text(user['client-key-data']),
    ...timeouts,
  });
}
