/**
 * Reverse lookups (`in-addr.arpa` PTR), as CoreDNS's `kubernetes` plugin answers them with the
 * default Corefile (`kubernetes cluster.local in-addr.arpa ip6.arpa { fallthrough in-addr.arpa ip6.arpa }`):
 * a Service's cluster IP names `<svc>.<ns>.svc.<zone>`; a ready endpoint's address names
 * `<host>.<svc>.<ns>.svc.<zone>` (`<host>` its hostname, else its IP with dashes), once per Service
 * that has it. An address the cluster does not know falls through to the upstream resolvers.
 */
import {
  CLUSTER_TTL,
  type ClusterZone,
  IPV4,
  readyEndpointsOf,
  type ZoneAnswer,
  type ZoneSource,
} from './records.js';

/** The reverse zone (IPv4; the cluster has no IPv6 addresses). */
export const REVERSE_ZONE = 'in-addr.arpa';

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; undefined for anything that is not one whole address. */
export function addressOfReverseName(name: string): string | undefined {
  if (!name.endsWith(`.${REVERSE_ZONE}`)) return undefined;
  const octets = name.slice(0, -(REVERSE_ZONE.length + 1)).split('.');
  if (octets.length !== 4) return undefined;
  const ip = octets.reverse().join('.');
  return IPV4.test(ip) ? ip : undefined;
}

/** The names the cluster gives `ip`, Services' cluster IPs first; empty when it knows none. */
export function namesOfAddress(source: ZoneSource, zone: string, ip: string): string[] {
  const names: string[] = [];
  for (const svc of source.services.values()) {
    const listed = (svc.spec as { clusterIPs?: unknown }).clusterIPs;
    const ips = [svc.spec.clusterIP, ...(Array.isArray(listed) ? listed : [])];
    if (svc.spec.type !== 'ExternalName' && ips.includes(ip))
      names.push(`${svc.metadata.name}.${svc.metadata.namespace}.svc.${zone}`);
  }
  for (const [key, ep] of source.endpoints.entries()) {
    const [ns, name] = key.split('/');
    if (!ns || !name || !source.services.has(key)) continue;
    for (const e of readyEndpointsOf(ep)) if (e.ip === ip) names.push(`${e.host}.${name}.${ns}.svc.${zone}`);
  }
  return [...new Set(names)];
}

/**
 * The zone's answer to a reverse name (`d.c.b.a.in-addr.arpa`, lower case, no root dot) for an
 * address the cluster knows; undefined otherwise, so the question goes upstream.
 */
export function reverseAnswer(zone: ClusterZone, name: string, type: string): ZoneAnswer | undefined {
  const ip = addressOfReverseName(name);
  if (!ip) return undefined;
  const names = namesOfAddress(zone.source, zone.zone, ip);
  if (names.length === 0) return undefined;
  if (type !== 'PTR') return zone.nodata();
  return {
    rcode: 'NOERROR',
    answers: names.map((data) => ({ name, type: 'PTR', ttl: CLUSTER_TTL, data })),
    authorities: [],
    additionals: [],
  };
}
