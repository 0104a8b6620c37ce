/**
 * Cluster DNS throughput and latency: the agent's DnsServer on loopback with a zone of S Services,
 * C concurrent UDP clients each sending N queries back to back (A of a random Service, plus one in
 * ten for a name that does not exist). Prints queries/s and latency percentiles.
 *
 *   npx tsx bench/cluster-dns.ts [services=1000] [clients=8] [queriesPerClient=2000]
 */
import { createSocket } from 'node:dgram';
import * as packet from 'dns-packet';
import { buildClientFilter } from '../src/agent/network/dns/cluster-dns.js';
import { DnsServer } from '../src/agent/network/dns/dns-server.js';
import { ClusterZone } from '../src/agent/network/dns/records.js';
import type { Endpoints, Service } from '../src/kube/index.js';

const [services = 1000, clients = 8, perClient = 2000] = process.argv.slice(2).map(Number);
const svcMap = new Map<string, Service>();
for (let i = 0; i < services; i++) {
  svcMap.set(`bench/s${i}`, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'bench', name: `s${i}` },
    spec: { clusterIP: `10.96.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80 }] },
  });
}
const server = new DnsServer({
  host: '127.0.0.1',
  port: 0,
  zone: new ClusterZone({ services: svcMap, endpoints: new Map<string, Endpoints>() }),
  forwarder: { forward: async () => undefined },
  allowed: buildClientFilter('10.244.0.0/16'),
});
await server.start();

async function client(seed: number): Promise<number[]> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const times: number[] = [];
  for (let i = 0; i < perClient; i++) {
    const n = (seed * 7919 + i * 104729) % services;
    const name = i % 10 === 9 ? `nope${n}.bench.svc.cluster.local` : `s${n}.bench.svc.cluster.local`;
    const id = i & 0xffff;
    const q = packet.encode({
      type: 'query',
      id,
      flags: packet.RECURSION_DESIRED,
      questions: [{ name, type: 'A' }],
    });
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${name}`)), 2000);
      socket.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.send(q, server.port, '127.0.0.1');
    });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  socket.close();
  return times;
}

const started = performance.now();
const all = (await Promise.all(Array.from({ length: clients }, (_, i) => client(i))))
  .flat()
  .sort((a, b) => a - b);
const seconds = (performance.now() - started) / 1000;
const pct = (p: number) => all[Math.min(all.length - 1, Math.floor((p / 100) * all.length))]?.toFixed(3);
console.log(
  `services=${services} clients=${clients} queries=${all.length} qps=${Math.round(all.length / seconds)} p50=${pct(50)}ms p99=${pct(99)}ms max=${all.at(-1)?.toFixed(3)}ms`,
);
await server.stop();
