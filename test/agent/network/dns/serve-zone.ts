/**
 * Serves a fixed cluster zone with the agent's DNS server, for tests that need it inside a network
 * namespace (a Node process cannot change its own): `nsenter --net=NS node --import tsx serve-zone.ts`
 * with TUGBOAT_TEST_ZONE = {"host", "port", "clusterCidr", "services": [...], "endpoints": [...]}.
 * Prints `serving PORT` once bound; exits when its stdin closes, so it never outlives the test.
 */
import { buildClientFilter } from '../../../../src/agent/network/dns/cluster-dns.js';
import { DnsServer } from '../../../../src/agent/network/dns/dns-server.js';
import { ClusterZone } from '../../../../src/agent/network/dns/records.js';
import type { Endpoints, Service } from '../../../../src/kube/index.js';

const spec = JSON.parse(process.env.TUGBOAT_TEST_ZONE ?? '{}') as {
  host: string;
  port: number;
  clusterCidr: string;
  services: Service[];
  endpoints: Endpoints[];
};
const keyed = <T extends Service | Endpoints>(items: T[]) =>
  new Map(items.map((i) => [`${i.metadata.namespace}/${i.metadata.name}`, i]));
const server = new DnsServer({
  host: spec.host,
  port: spec.port,
  zone: new ClusterZone({ services: keyed(spec.services), endpoints: keyed(spec.endpoints) }),
  forwarder: { forward: async () => undefined },
  allowed: buildClientFilter(spec.clusterCidr),
});
await server.start();
process.stdout.write(`serving ${server.port}\n`);
process.stdin.resume();
process.stdin.on('end', () => void server.stop().then(() => process.exit(0)));
