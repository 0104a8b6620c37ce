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

const LOCAL = '-m addrtype --dst-type LOCAL';
const jumps = [
  { table: 'nat', from: 'POSTROUTING', chain: POD_MASQ_CHAIN, match: '' },
  { table: 'nat', from: 'PREROUTING', chain: HOST_PORTS_CHAIN, match: LOCAL },
  { table: 'nat', from: 'OUTPUT', chain: HOST_PORTS_CHAIN, match: LOCAL },
  { table: 'filter', from: 'FORWARD', chain: POD_FORWARD_CHAIN, match: '' },
  { table: 'filter', from: 'INPUT', chain: POD_INPUT_CHAIN, match: '' },
] as const;

/** A jump's rule spec after the chain it is in: `[match ]-j CHAIN`. */
const jumpSpec = (j: (typeof jumps)[number]) => `${j.match ? `${j.match} ` : ''}-j ${j.chain}`;
/** A jump's key in the counts: the chain it is in and its target. */
const jumpKey = (j: (typeof jumps)[number]) => `${j.from} ${j.chain}`;

/** How many jumps into each of our chains `iptables-save` shows, and whether the chains exist. */
export interface SavedPodRules {
  readonly jumps: ReadonlyMap<string, number>;
  readonly chains: ReadonlySet<string>;
}

/** Reads our chains and the jumps into them from `iptables-save` output. Pure. */
export function parseSavedPodRules(saved: string): SavedPodRules {
  const counts = new Map<string, number>();
  const chains = new Set<string>();
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
): string {
  // `keep` (an agent that has not yet seen its pods): the chain keeps the rules it has; it is only
  // created, empty, when missing (declaring a chain in a restore flushes it).
  const keep = hostPorts === 'keep';
  const hostPortsChain = keep && saved.chains.has(HOST_PORTS_CHAIN) ? [] : [`:${HOST_PORTS_CHAIN} - [0:0]`];
  const jumpFix = (table: string) =>
    jumps
      .filter((j) => j.table === table)
      .flatMap((j) => {
        const n = saved.jumps.get(jumpKey(j)) ?? 0;
        if (n === 0) return [`-I ${j.from} 1 ${jumpSpec(j)}`];
        return Array.from({ length: n - 1 }, () => `-D ${j.from} ${jumpSpec(j)}`);
      });
  return [
    '*nat',
    `:${POD_MASQ_CHAIN} - [0:0]`,
    ...hostPortsChain,
    `-A ${POD_MASQ_CHAIN} -m mark --mark ${HOST_PORT_MASQ_MARK} -m comment --comment "hostPort hairpin" -j MASQUERADE`,
    `-A ${POD_MASQ_CHAIN} -s ${podCidr} -d ${podCidr} -m comment --comment "pod to pod: not NATed" -j RETURN`,
    `-A ${POD_MASQ_CHAIN} -s ${podCidr} ! -d 224.0.0.0/4 -m comment --comment "pods to outside" -j MASQUERADE`,
    ...(keep ? [] : renderHostPortRules(hostPorts)),
    ...jumpFix('nat'),
    'COMMIT',
    '*filter',
    `:${POD_FORWARD_CHAIN} - [0:0]`,
    `-A ${POD_FORWARD_CHAIN} -s ${podCidr} -j ACCEPT`,
    `-A ${POD_FORWARD_CHAIN} -d ${podCidr} -j ACCEPT`,
    // The bridge has route_localnet (localhost host ports): as kube-proxy's guard for
    // CVE-2020-8558, nothing from off the node reaches 127.0.0.0/8 but the replies it asked for.
    `:${POD_INPUT_CHAIN} - [0:0]`,
    `-A ${POD_INPUT_CHAIN} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    ...jumpFix('filter'),
    'COMMIT',
    '',
  ].join('\n');
}

/** The restore input that removes our jumps and chains (nothing when none exist). Pure. */
export function renderPodRulesRemoval(saved: SavedPodRules): string | undefined {
  if (saved.chains.size === 0 && saved.jumps.size === 0) return undefined;
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
