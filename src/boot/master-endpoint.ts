import type { SsmApi } from '../aws/ssm.js';
import { CLUSTER_TAG } from '../aws/types.js';
import { secretsPath } from '../provision/template/storage-names.js';

/**
 * Where the master publishes the API address for workers that boot from user-data:
 * `/tugboat/<cluster>/worker/api-server`, a plain String parameter (not secret) holding
 * `https://<host>:<port>`, under `worker/` so the worker role may read it. Every master boot
 * rewrites it. The CA certificate workers trust is the `ca-cert` SecureString next to it
 * (`SECRET_ITEMS.caCert`).
 */
export function apiServerParameterName(cluster: string): string {
  return `${secretsPath(cluster)}worker/api-server`;
}

/** Publishes the master's API address where booting workers read it. */
export async function publishApiServer(
  ssm: Pick<SsmApi, 'putString'>,
  cluster: string,
  server: string,
): Promise<void> {
  await ssm.putString(apiServerParameterName(cluster), server, { [CLUSTER_TAG]: cluster });
}

/** The published API address, or undefined while no master has booted. */
export async function readApiServer(
  ssm: Pick<SsmApi, 'getSecureString'>,
  cluster: string,
): Promise<string | undefined> {
  return ssm.getSecureString(apiServerParameterName(cluster));
}
