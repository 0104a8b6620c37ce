/**
 * kube-scheduler's NodePorts filter: a pod that asks for a `hostPort` fits a node only where no
 * pod already bound there holds the same protocol and port on the same host address (0.0.0.0, or
 * no `hostIP`, overlaps every address). Pure.
 */
import type { Pod } from '../../kube/index.js';

/** One host port a pod holds: `protocol/hostIP/port`, hostIP `0.0.0.0` when unset. */
export type HostPortKey = string;

/** The host ports a pod's containers ask for (init containers' too, as upstream counts them). */
export function podHostPorts(pod: Pod): HostPortKey[] {
  const out: HostPortKey[] = [];
  const spec = pod.spec as { containers?: unknown; initContainers?: unknown } | undefined;
  for (const list of [spec?.initContainers, spec?.containers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list as { ports?: unknown }[]) {
      if (!Array.isArray(c?.ports)) continue;
      for (const p of c.ports as { hostPort?: unknown; hostIP?: unknown; protocol?: unknown }[]) {
        const port = p?.hostPort;
        if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0) continue;
        const ip = typeof p.hostIP === 'string' && p.hostIP !== '' ? p.hostIP : '0.0.0.0';
        const protocol = typeof p.protocol === 'string' ? p.protocol : 'TCP';
        out.push(`${protocol}/${ip}/${port}`);
      }
    }
  }
  return out;
}

/** kube-scheduler's reason when a wanted host port is taken. */
export const HOST_PORTS_REASON = "node(s) didn't have free ports for the requested pod ports";

/** Whether any of `wanted` conflicts with the ports in use on a node (counted per key). */
export function hostPortsConflict(
  wanted: readonly HostPortKey[],
  used: ReadonlyMap<HostPortKey, number>,
): boolean {
  if (wanted.length === 0 || used.size === 0) return false;
  for (const key of wanted) {
    if ((used.get(key) ?? 0) > 0) return true;
    const [protocol, ip, port] = key.split('/');
    if (ip === '0.0.0.0') {
      // The wildcard takes the port on every address: any holder of protocol/port conflicts.
      for (const [k, n] of used) {
        if (n <= 0) continue;
        const [p2, , port2] = k.split('/');
        if (p2 === protocol && port2 === port) return true;
      }
    } else if ((used.get(`${protocol}/0.0.0.0/${port}`) ?? 0) > 0) return true;
  }
  return false;
}
