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

/**
 * Where masters of a cluster with several publish every master's API address, for the workers'
 * agents to fail over to (`--failover-server`): `/tugboat/<cluster>/worker/api-servers`, a plain
 * String holding a JSON array of `https://<host>:<port>`. Each master's boot rewrites it with its
 * own address and the other masters' private ones (the API certificate names those); a master
 * gone since stays listed until the next master boot, which costs a client one refused connection.
 */
export function apiServersParameterName(cluster: string): string {
  return `${secretsPath(cluster)}worker/api-servers`;
}

/** Publishes every master's API address (this master's first) where booting workers read them. */
export async function publishApiServers(
  ssm: Pick<SsmApi, 'putString'>,
  cluster: string,
  servers: readonly string[],
): Promise<void> {
  await ssm.putString(apiServersParameterName(cluster), JSON.stringify([...new Set(servers)]), {
    [CLUSTER_TAG]: cluster,
  });
}

/**
 * The API addresses a worker's agent fails over to: the published list without `server` (the one
 * it joins), in order, each an `https://` URL. Absent (one master, or a cluster older than the
 * list) is none; a value that is not such a list is reported through `invalid` and ignored — the
 * worker still joins `server`, without failover.
 */
export async function readFailoverServers(
  ssm: Pick<SsmApi, 'getSecureString'>,
  cluster: string,
  server: string,
  invalid: (reason: string) => void = () => undefined,
): Promise<string[]> {
  const raw = await ssm.getSecureString(apiServersParameterName(cluster));
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const urls = Array.isArray(parsed) ? parsed : undefined;
  if (!urls?.every((u) => typeof u === 'string' && /^https:\/\/[^\s/]+$/.test(u))) {
    invalid(
      `${apiServersParameterName(cluster)} is not a JSON list of https://host:port addresses (${JSON.stringify(raw.slice(0, 120))}): joining ${server} without failover`,
    );
    return [];
  }
  return [...new Set(urls as string[])].filter((u) => u !== server);
}
