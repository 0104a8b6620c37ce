import { join } from 'node:path';
import { loadOrCreateClusterPki } from '../pki/cluster-pki.js';
import { type BootstrapHost, type BootstrapHosts, mastersOf, peerAddressOf } from './bootstrap-hosts.js';

/** What {@link inventoryApi} needs: the hosts, the local state, the API port and DNS name. */
export interface InventoryApiOptions {
  readonly inventory: BootstrapHosts;
  readonly stateDir: string;
  /** @default 6443 */
  readonly apiPort?: number;
  /** The spec's `api.dns` record name (one A value per master): the kubeconfig's server. @default none */
  readonly apiDns?: string;
}

const hostPart = (address: string) => (address.includes(':') ? `[${address}]` : address);

/** `https://<address>:<port>` of a master, on the address bootstrap reaches it at. Pure. */
export function masterApiUrl(master: Pick<BootstrapHost, 'address'>, apiPort = 6443): string {
  return `https://${hostPart(master.address)}:${apiPort}`;
}

/**
 * The API server URLs of an inventory and the cluster's PKI from its state directory (made on
 * first use): what bootstrap and `tugboat upgrade` talk to the cluster with. `server` is the
 * first master, `servers` every master (agents fail over along them), `kubeconfigServer` the
 * `api.dns` name when there is one, else the first master. The serving certificate names every
 * master's addresses and the DNS name, so a client may use any of them. One master without a
 * DNS name gets the names it always had (its connect address), so its certificate stays.
 */
export function inventoryApi(options: InventoryApiOptions) {
  const masters = mastersOf(options.inventory);
  const apiPort = options.apiPort ?? 6443;
  const addresses =
    masters.length > 1 ? masters.flatMap((m) => [m.address, peerAddressOf(m)]) : [masters[0]!.address];
  const pki = loadOrCreateClusterPki({
    cluster: options.inventory.cluster,
    dir: join(options.stateDir, 'pki'),
    apiAltNames: [...new Set([...addresses, ...(options.apiDns ? [options.apiDns] : [])])],
  });
  const servers = masters.map((m) => masterApiUrl(m, apiPort));
  const server = servers[0]!;
  return {
    server,
    servers,
    kubeconfigServer: options.apiDns ? `https://${options.apiDns}:${apiPort}` : server,
    pki,
  };
}

/**
 * What an agent runs of the cluster network: the pod network (with cluster DNS) on docker hosts
 * and the service proxy everywhere, both on unless turned off. Pure.
 */
export function agentNetworkOptions(
  runtime: string,
  options: { readonly agentPodNetwork?: boolean; readonly agentServiceProxy?: boolean },
  podCidr: string,
): { podNetwork?: true; serviceProxy?: 'iptables'; clusterCidr?: string } {
  const pods = runtime === 'docker' && (options.agentPodNetwork ?? true);
  const proxy = options.agentServiceProxy ?? true;
  return {
    ...(pods ? { podNetwork: true as const } : {}),
    ...(proxy ? { serviceProxy: 'iptables' as const } : {}),
    ...(pods || proxy ? { clusterCidr: podCidr } : {}),
  };
}
