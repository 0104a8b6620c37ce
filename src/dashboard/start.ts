import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import type { KubeconfigLocation } from '../pki/kubeconfig-files.js';
import { loadDashboardAssets } from './assets.js';
import type { CloudActions, CloudSource } from './cloud-relay.js';
import { kubeClientFromKubeconfig } from './kube-access.js';
import { buildDashboardServer } from './server.js';
import type { ShellRelays, ShellTimings } from './shell.js';

/** Options of {@link startDashboard}. */
export interface StartDashboardOptions {
  /** Where the user's kubeconfig is (kubectl's files). */
  readonly kubeconfig: KubeconfigLocation;
  /** Context to use. @default the current context */
  readonly context?: string;
  /** Address to listen on. @default '127.0.0.1' */
  readonly address?: string;
  /** Port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** The cluster's AWS side (see CloudSource). @default none */
  readonly cloud?: CloudSource;
  /** What the page may do on the AWS side (see CloudActions). @default none */
  readonly cloudActions?: CloudActions;
  /** How often the AWS side is read while a page is open. @default 30_000 */
  readonly cloudRefreshMs?: number;
  /** How often node metrics are read for the charts while a page is open. @default 15_000 */
  readonly metricsIntervalMs?: number;
  /** Idle limit and heartbeat of the shells. @default 30 min, 30 s */
  readonly shellTimings?: ShellTimings;
}

/** A running dashboard. */
export interface RunningDashboard {
  /** The login URL, with its one-time token. */
  readonly url: string;
  readonly context: string;
  /** The API server the dashboard talks to. */
  readonly server: string;
  /** True when listening on an address other hosts may reach. */
  readonly exposed: boolean;
  /** The open shells (`/api/shell`). */
  readonly shells: ShellRelays;
  close(): Promise<void>;
}

const isLoopback = (a: string) => a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));

/**
 * `tugboat dashboard`: serves the web UI on `address:port`, talking to the cluster of `context`
 * with the kubeconfig's own credentials (nothing new is exposed on the cluster).
 */
export async function startDashboard(options: StartDashboardOptions): Promise<RunningDashboard> {
  const address = options.address ?? '127.0.0.1';
  if (isIP(address) === 0)
    throw new UsageError(`--address ${address} is not an IP address: give e.g. 127.0.0.1`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port ${String(options.port)} is not a port: give 1-65535, or 0 for a free one`);
  }
  const access = kubeClientFromKubeconfig({
    location: options.kubeconfig,
    ...(options.context ? { context: options.context } : {}),
  });
  const dashboard = buildDashboardServer({
    client: access.client,
    assets: await loadDashboardAssets(),
    ...(options.cloud ? { cloud: options.cloud } : {}),
    ...(options.cloudActions ? { cloudActions: options.cloudActions } : {}),
    ...(options.cloudRefreshMs ? { cloudRefreshMs: options.cloudRefreshMs } : {}),
    ...(options.metricsIntervalMs ? { metricsIntervalMs: options.metricsIntervalMs } : {}),
    ...(options.shellTimings ? { shellTimings: options.shellTimings } : {}),
  });
  let url: string;
  try {
    url = await dashboard.listen(address, port);
  } catch (err) {
    access.client.close();
    throw new UsageError(`cannot listen on ${address}:${port}: ${(err as Error).message}`);
  }
  return {
    url,
    context: access.context,
    server: access.server,
    exposed: !isLoopback(address),
    shells: dashboard.shells,
    async close() {
      await dashboard.close();
      access.client.close();
    },
  };
}
