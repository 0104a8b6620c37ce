/**
 * The pod network's iptables rules, in chains of its own (the service proxy owns the other
 * `TUGBOAT-` chains; these three are never touched by it, nor it by these):
 * - nat `TUGBOAT-POD-MASQ` (from POSTROUTING): pod-to-pod traffic keeps its source address;
 *   traffic from pods to anywhere else leaves with the node's address (MASQUERADE), and so does
 *   a pod's traffic to its own host port (marked in `TUGBOAT-HOSTPORTS`).
 * - filter `TUGBOAT-POD-FORWARD` (from FORWARD): accepts traffic from and to the pod range, which
 *   Docker's FORWARD policy DROP would otherwise drop.
 * - nat `TUGBOAT-HOSTPORTS` (from PREROUTING and OUTPUT, for the host's own addresses): pods'
 *   `hostPort`s, DNATed to the pod (host-ports.ts).
 * - filter `TUGBOAT-POD-INPUT` (from INPUT): drops new traffic to 127.0.0.0/8 from elsewhere,
 *   which the bridge's route_localnet (for localhost host ports) would otherwise let in.
 * Rendered whole and applied with `iptables-restore --noflush`, so nothing but these chains and
 * their jumps changes.
 */
import { podNetworkNames } from './host-model.js';
import {
  HOST_PORT_MASQ_MARK,
  HOST_PORTS_CHAIN,
  type HostPortMapping,
  renderHostPortRules,
} from './host-ports.js';

/** The nat chain that masquerades traffic leaving the pod network. */
export const POD_MASQ_CHAIN = 'TUGBOAT-POD-MASQ';
/** The filter chain that lets pod traffic through FORWARD. */
export const POD_FORWARD_CHAIN = 'TUGBOAT-POD-FORWARD';
/** The filter chain (from INPUT) that keeps other hosts and pods off the node's loopback services. */
export const POD_INPUT_CHAIN = 'TUGBOAT-POD-INPUT';

/**
 * Which of the pod network's chains one agent writes. On a cluster host the one agent writes all
 * of them. When several agents share a network namespace (`tugboat local up --runtime docker`),
 * exactly one writes the shared chains (MASQ, FORWARD, INPUT: the same for every agent, and two
 * writers could each delete the other's duplicate jump and leave none), and each writes its own
 * host-port chain, so no agent overwrites another's pods' host ports.
 */
export interface PodRulesScope {
  /** Write `TUGBOAT-POD-MASQ`, `TUGBOAT-POD-FORWARD`, `TUGBOAT-POD-INPUT` and their jumps. */
  readonly shared: boolean;
  /** The nat chain of this agent's host ports. */
  readonly hostPortsChain: string;
}

/** One agent per host: every chain, host ports in `TUGBOAT-HOSTPORTS`. */
export const defaultPodRulesScope: PodRulesScope = { shared: true, hostPortsChain: HOST_PORTS_CHAIN };

/** The host-port chain of the agent whose bridge is `bridge` (`TUGBOAT-HOSTPORTS` for `tugboat0`). */
export function hostPortsChainFor(bridge: string): string {
  return bridge === podNetworkNames.bridge ? HOST_PORTS_CHAIN : `TUGBOAT-HP-${bridge.toUpperCase()}`;
}

const LOCAL = '-m addrtype --dst-type LOCAL';

interface Jump {
  readonly table: 'nat' | 'filter';
  readonly from: string;
  readonly chain: string;
  readonly match: string;
}

function jumpsOf(scope: PodRulesScope): Jump[] {
  const hostPorts: Jump[] = [
    { table: 'nat', from: 'PREROUTING', chain: scope.hostPortsChain, match: LOCAL },
    { table: 'nat', from: 'OUTPUT', chain: scope.hostPortsChain, match: LOCAL },
  ];
  if (!scope.shared) return hostPorts;
  return [
    { table: 'nat', from: 'POSTROUTING', chain: POD_MASQ_CHAIN, match: '' },
    ...hostPorts,
    { table: 'filter', from: 'FORWARD', chain: POD_FORWARD_CHAIN, match: '' },
    { table: 'filter', from: 'INPUT', chain: POD_INPUT_CHAIN, match: '' },
  ];
}

/** A jump's rule spec after the chain it is in: `[match ]-j CHAIN`. */
const jumpSpec = (j: Jump) => `${j.match ? `${j.match} ` : ''}-j ${j.chain}`;
/** A jump's key in the counts: the chain it is in and its target. */
const jumpKey = (j: Jump) => `${j.from} ${j.chain}`;

/** How many jumps into each of our chains `iptables-save` shows, and whether the chains exist. */
export interface SavedPodRules {
  readonly jumps: ReadonlyMap<string, number>;
  readonly chains: ReadonlySet<string>;
}

/** Reads the scope's chains and the jumps into them from `iptables-save` output. Pure. */
export function parseSavedPodRules(saved: string, scope = defaultPodRulesScope): SavedPodRules {
  const counts = new Map<string, number>();
  const chains = new Set<string>();
  const jumps = jumpsOf(scope);
  for (const line of saved.split('\n')) {
    for (const j of jumps) {
      if (line === `:${j.chain} - [0:0]` || line.startsWith(`:${j.chain} `)) chains.add(j.chain);
      if (line.trim() === `-A ${j.from} ${jumpSpec(j)}`)
        counts.set(jumpKey(j), (counts.get(jumpKey(j)) ?? 0) + 1);
    }
  }
  return { jumps: counts, chains };
}

/**
 * The `iptables-restore --noflush` input that makes our chains exactly right for `podCidr`:
 * declaring a chain flushes it, its rules follow, and its jump from the built-in chain is inserted
 * when missing and deduplicated when an earlier run left more than one. Pure.
 */
export function renderPodRules(
  podCidr: string,
  saved: SavedPodRules,
  hostPorts: readonly HostPortMapping[] | 'keep' = [],
  scope = defaultPodRulesScope,
): string {
  // `keep` (an agent that has not yet seen its pods): the chain keeps the rules it has; it is only
  // created, empty, when missing (declaring a chain in a restore flushes it).
  const keep = hostPorts === 'keep';
  const chain = scope.hostPortsChain;
  const hostPortsChain = keep && saved.chains.has(chain) ? [] : [`:${chain} - [0:0]`];
  const jumps = jumpsOf(scope);
  const jumpFix = (table: string) =>
    jumps
      .filter((j) => j.table === table)
      .flatMap((j) => {
        const n = saved.jumps.get(jumpKey(j)) ?? 0;
        if (n === 0) return [`-I ${j.from} 1 ${jumpSpec(j)}`];
        return Array.from({ length: n - 1 }, () => `-D ${j.from} ${jumpSpec(j)}`);
      });
  const sharedNat = [
    `:${POD_MASQ_CHAIN} - [0:0]`,
    `-A ${POD_MASQ_CHAIN} -m mark --mark ${HOST_PORT_MASQ_MARK} -m comment --comment "hostPort hairpin" -j MASQUERADE`,
    `-A ${POD_MASQ_CHAIN} -s ${podCidr} -d ${podCidr} -m comment --comment "pod to pod: not NATed" -j RETURN`,
    `-A ${POD_MASQ_CHAIN} -s ${podCidr} ! -d 224.0.0.0/4 -m comment --comment "pods to outside" -j MASQUERADE`,
  ];
  const sharedFilter = [
    `:${POD_FORWARD_CHAIN} - [0:0]`,
    `-A ${POD_FORWARD_CHAIN} -s ${podCidr} -j ACCEPT`,
    `-A ${POD_FORWARD_CHAIN} -d ${podCidr} -j ACCEPT`,
    // The bridge has route_localnet (localhost host ports): as kube-proxy's guard for
    // CVE-2020-8558, nothing from off the node reaches 127.0.0.0/8 but the replies it asked for.
    `:${POD_INPUT_CHAIN} - [0:0]`,
    `-A ${POD_INPUT_CHAIN} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
  ];
  return [
    '*nat',
    ...(scope.shared ? [sharedNat[0]!] : []),
    ...hostPortsChain,
    ...(scope.shared ? sharedNat.slice(1) : []),
    ...(keep ? [] : renderHostPortRules(hostPorts, chain)),
    ...jumpFix('nat'),
    'COMMIT',
    ...(scope.shared ? ['*filter', ...sharedFilter, ...jumpFix('filter'), 'COMMIT'] : []),
    '',
  ].join('\n');
}

/** The restore input that removes the scope's jumps and chains (nothing when none exist). Pure. */
export function renderPodRulesRemoval(
  saved: SavedPodRules,
  scope = defaultPodRulesScope,
): string | undefined {
  if (saved.chains.size === 0 && saved.jumps.size === 0) return undefined;
  const jumps = jumpsOf(scope);
  const lines: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    lines.push(`*${table}`);
    for (const j of jumps.filter((x) => x.table === table)) {
      for (let i = 0; i < (saved.jumps.get(jumpKey(j)) ?? 0); i++) lines.push(`-D ${j.from} ${jumpSpec(j)}`);
    }
    const chains = [...new Set(jumps.filter((x) => x.table === table).map((x) => x.chain))];
    for (const chain of chains) if (saved.chains.has(chain)) lines.push(`:${chain} - [0:0]`, `-X ${chain}`);
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}
