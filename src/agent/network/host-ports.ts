/**
 * `hostPort` on the pod network, as the CNI portmap plugin does it: a nat chain of DNAT rules,
 * one per pod port that asks for a host port, reached from PREROUTING and OUTPUT for traffic to
 * this host's own addresses. Containers share their sandbox's network namespace, so Docker cannot
 * publish their ports; the rules are rendered with the pod network's other chains (pod-rules.ts).
 */
import type { Pod } from '../../kube/index.js';
import { isIPv4 } from './service-proxy/model.js';

/** The nat chain holding the host-port DNAT rules. */
export const HOST_PORTS_CHAIN = 'TUGBOAT-HOSTPORTS';

/**
 * The mark on host-port traffic that must be masqueraded (the portmap plugin's 0x2000): a pod
 * reaching its own host port through the node's address (hairpin) would otherwise get a packet
 * from itself and answer itself directly, never through the DNAT.
 */
export const HOST_PORT_MASQ_MARK = '0x2000/0x2000';

/** One host port of one pod. */
export interface HostPortMapping {
  /** `namespace/name`, for the rule's comment. */
  readonly pod: string;
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly hostPort: number;
  /** Only traffic to this address of the host; undefined: every address. */
  readonly hostIP?: string;
  readonly podIP: string;
  readonly containerPort: number;
}

const SAFE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const validPort = (p: unknown): p is number =>
  typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;

/**
 * The host ports of a pod at `podIP`, in its containers' order. What a rule cannot express safely
 * (a host address that is not IPv4 or the wildcard, odd names) is left out: the API server
 * validates, and a stored oddity must never stop the rest. Pure.
 */
export function podHostPortMappings(pod: Pod, podIP: string): HostPortMapping[] {
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  if (!SAFE.test(namespace) || !SAFE.test(name) || !isIPv4(podIP)) return [];
  const out: HostPortMapping[] = [];
  for (const c of pod.spec.containers ?? []) {
    for (const p of c?.ports ?? []) {
      if (!validPort(p?.hostPort) || !validPort(p.containerPort)) continue;
      const protocol = (p.protocol ?? 'TCP').toLowerCase();
      if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') continue;
      const hostIP = p.hostIP && p.hostIP !== '0.0.0.0' ? p.hostIP : undefined;
      if (hostIP !== undefined && !isIPv4(hostIP)) continue;
      out.push({
        pod: `${namespace}/${name}`,
        protocol,
        hostPort: p.hostPort,
        ...(hostIP ? { hostIP } : {}),
        podIP,
        containerPort: p.containerPort,
      });
    }
  }
  return out;
}

/**
 * The chain's rules, sorted so the same mappings always give the same text: per mapping, marks
 * for the pod's own traffic (hairpin) and for the node's `localhost:hostPort` (a pod cannot
 * answer 127.0.0.1), both masqueraded by the pod network's MASQ chain, then the DNAT.
 * `chain` is this agent's host-port chain (one per agent when several share a host). Pure.
 */
export function renderHostPortRules(
  mappings: readonly HostPortMapping[],
  chain: string = HOST_PORTS_CHAIN,
): string[] {
  return mappings
    .map((m) => {
      const dest = m.hostIP ? ` -d ${m.hostIP}/32` : '';
      const match = `-p ${m.protocol} -m ${m.protocol} --dport ${m.hostPort}${dest}`;
      const comment = `-m comment --comment "${m.pod} hostPort ${m.hostPort}"`;
      return [
        `-A ${chain} ${match} ${comment} -j DNAT --to-destination ${m.podIP}:${m.containerPort}`,
        `-A ${chain} ${match} -s ${m.podIP}/32 ${comment} -j MARK --set-xmark ${HOST_PORT_MASQ_MARK}`,
        `-A ${chain} ${match} -s 127.0.0.1/32 ${comment} -j MARK --set-xmark ${HOST_PORT_MASQ_MARK}`,
      ];
    })
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0))
    .flatMap(([dnat, hairpin, localhost]) => [hairpin!, localhost!, dnat!]);
}
