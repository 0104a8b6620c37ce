/**
 * The pod network of `tugboat local up --runtime docker`: every local agent runs in this machine's
 * network namespace, so each gets a bridge of its own (`tugboat-l<n>`, holding its block's
 * gateway) and no VXLAN (the host routes between its own bridges); the first agent alone writes
 * the shared pod rules and runs the service proxy, since one network namespace can hold only one
 * set of them. `local down` removes all of it.
 */
import { removePodNetwork } from '../agent/network/host-network.js';
import { type CommandRunner, IpKernelNetwork, spawnCommand } from '../agent/network/kernel.js';
import { hostPortsChainFor } from '../agent/network/pod-rules.js';
import { commandIptables } from '../agent/network/service-proxy/iptables.js';
import { removeServiceRules } from '../agent/network/service-proxy/sync-rules.js';
import { cidrsOverlap, parseCidr } from '../config/cidr.js';
import { TugboatError } from '../errors.js';

/** The pod range of a local cluster (the spec's `network.podCidr` default). */
export const LOCAL_CLUSTER_CIDR = '10.244.0.0/16';

/** What `local down` needs to remove the pod network (kept in the local state). */
export interface LocalPodNetworkState {
  readonly clusterCidr: string;
  /** The agents' bridges in node order; the first agent owns the shared rules and the proxy. */
  readonly bridges: readonly string[];
}

/** The bridge of the `n`th local node (1-based): at most 15 characters for n ≤ 20. */
export function localBridgeName(n: number): string {
  return `tugboat-l${n}`;
}

/**
 * Whether `local up` runs the pod network: asked for (`true`), refused (`false`), or `auto`: on
 * with the docker runtime when this process may change the kernel's network (root). Pure.
 */
export function resolveLocalPodNetwork(
  wanted: boolean | 'auto',
  runtime: 'docker' | 'process',
  isRoot: boolean,
): boolean {
  if (wanted === false) return false;
  const refuse = (message: string) => new TugboatError('USAGE', message, { exitCode: 2 });
  if (runtime !== 'docker') {
    if (wanted === true)
      throw refuse(
        '--pod-network needs the docker runtime: the process runtime runs pods in the host network',
      );
    return false;
  }
  if (isRoot) return true;
  if (wanted === true)
    throw refuse(
      '--pod-network creates bridges and iptables rules and needs root: run as root, or pass --no-pod-network',
    );
  return false;
}

/** The agent config fields of local node `n` (1-based) on the pod network. Pure. */
export function localAgentNetworkConfig(n: number, clusterCidr: string): Record<string, unknown> {
  const owner = n === 1;
  return {
    clusterCidr,
    podNetwork: { bridge: localBridgeName(n), vxlan: false, sharedRules: owner },
    ...(owner ? { serviceProxy: 'iptables' } : {}),
  };
}

/**
 * The routes (as `ip -j route` gives them) that overlap `clusterCidr` and do not go over one of
 * `bridges`: another network on this machine (a VPN, another cluster) already uses the range.
 * The default route does not count. Pure.
 */
export function conflictingRoutes(
  routes: readonly { readonly dst: string; readonly dev?: string }[],
  clusterCidr: string,
  bridges: readonly string[],
): string[] {
  const range = parseCidr(clusterCidr)?.cidr;
  if (!range) return [];
  return routes
    .filter((r) => r.dst !== 'default' && !(r.dev && bridges.includes(r.dev)))
    .filter((r) => {
      const dst = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`)?.cidr;
      return dst !== undefined && cidrsOverlap(dst, range);
    })
    .map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`);
}

/** Refuses to start without `ip` and `iptables`, or when this machine already routes part of the pod range elsewhere. */
export async function assertPodRangeFree(
  clusterCidr: string,
  bridges: readonly string[],
  run: CommandRunner = spawnCommand,
): Promise<void> {
  let text: string;
  try {
    await run(['iptables-save', '--version']);
    text = (await run(['ip', '-j', '-4', 'route', 'show', 'table', 'all'])).trim();
  } catch (err) {
    throw new TugboatError(
      'LOCAL_POD_NETWORK_TOOLS',
      `the pod network needs iproute2 (ip) and iptables (${(err as Error).message}): install them, or run \`tugboat local up --no-pod-network\``,
    );
  }
  const routes = (text ? JSON.parse(text) : []) as { dst: string; dev?: string }[];
  const conflicts = conflictingRoutes(routes, clusterCidr, bridges);
  if (conflicts.length > 0)
    throw new TugboatError(
      'LOCAL_POD_RANGE_IN_USE',
      `the local pod range ${clusterCidr} overlaps routes on this machine (${conflicts.slice(0, 3).join('; ')}): remove them, or run \`tugboat local up --no-pod-network\``,
    );
}

/**
 * Removes every local agent's bridge, pod veths and host-port chain, then the shared pod chains
 * and the service proxy's chains; Docker's devices and rules are not touched. Run after the
 * agents stopped and their containers are gone. Safe to run twice.
 */
export async function removeLocalPodNetwork(state: LocalPodNetworkState): Promise<void> {
  for (const [i, bridge] of state.bridges.entries()) {
    await removePodNetwork(new IpKernelNetwork(spawnCommand, { bridge, vxlan: false }), {
      shared: i === 0,
      hostPortsChain: hostPortsChainFor(bridge),
    });
  }
  await removeServiceRules(commandIptables());
}
