/**
 * Service proxy: time from an Endpoints change to rules applied, with S Services × E endpoints,
 * in a network namespace this script creates (and deletes). Each iteration flips one endpoint's
 * readiness in the cache, then builds the model, renders the whole rule set and applies it with
 * one `iptables-restore --noflush` (the ServiceProxy's partial sync). Also times the full sync.
 *
 *   [IPTABLES=legacy] npx tsx bench/service-proxy.ts [services=1000] [endpoints=10] [iterations=50]
 */
import { execFileSync } from 'node:child_process';
import { commandIptables } from '../src/agent/network/service-proxy/iptables.js';
import { buildServicePorts } from '../src/agent/network/service-proxy/model.js';
import { ServicePortModel } from '../src/agent/network/service-proxy/model-tracker.js';
import { renderRules } from '../src/agent/network/service-proxy/render.js';
import { RuleSyncer } from '../src/agent/network/service-proxy/sync-rules.js';
import type { Endpoints, Service } from '../src/kube/index.js';
import { pct } from './support/stats.js';

const [S = 1000, E = 10, N = 50] = process.argv.slice(2).map(Number);
const netns = `tbsp-bench-${process.pid}`;

const services: Service[] = [];
const endpoints = new Map<string, Endpoints>();
for (let i = 0; i < S; i++) {
  const name = `svc-${i}`;
  services.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'bench' },
    spec: {
      type: i % 10 === 0 ? 'NodePort' : 'ClusterIP',
      clusterIP: `10.96.${Math.floor(i / 250)}.${(i % 250) + 2}`,
      ports: [{ name: 'http', port: 80, protocol: 'TCP', ...(i % 10 === 0 ? { nodePort: 30000 + i } : {}) }],
    },
  } as Service);
  endpoints.set(`bench/${name}`, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: 'bench' },
    subsets: [
      {
        addresses: Array.from({ length: E }, (_, j) => ({
          ip: `10.244.${(i * E + j) >> 8}.${(i * E + j) & 255}`,
        })),
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ],
  });
}

execFileSync('ip', ['netns', 'add', netns]);
try {
  const legacy = process.env.IPTABLES === 'legacy';
  const iptables = commandIptables({
    prefix: ['nsenter', `--net=/run/netns/${netns}`],
    timeoutMs: 600_000,
    ...(legacy ? { saveCommand: 'iptables-legacy-save', restoreCommand: 'iptables-legacy-restore' } : {}),
  });
  const syncer = new RuleSyncer(iptables, { clusterCidr: '10.244.0.0/16', nodeIPs: ['192.168.77.1'] });
  const fullTimes: number[] = [];
  let lines = 0;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    lines = (await syncer.sync(buildServicePorts(services, endpoints), true)).lines;
    fullTimes.push(performance.now() - t);
  }
  const render: number[] = [];
  const total: number[] = [];
  // The agent's path: the model kept per Service (only the changed one rebuilt) and the renderer's
  // fragments reused for every unchanged Service port.
  const model = new ServicePortModel();
  const byKey = new Map(services.map((s) => [`bench/${s.metadata!.name}`, s]));
  const warm = model.ports(byKey, endpoints);
  await syncer.sync(warm, true);
  // A second renderer cache, to time the agent's model+render apart from the restore.
  const opts = { clusterCidr: '10.244.0.0/16', nodeIPs: ['192.168.77.1'] };
  const none = { chains: { nat: new Set<string>(), filter: new Set<string>() }, jumps: new Map() };
  const fragments = new Map();
  let contents = renderRules(warm, none, opts, undefined, fragments).contents;
  const incremental: number[] = [];
  for (let i = 0; i < N; i++) {
    // A changed object is a new object, as a watch event delivers it.
    const ep = structuredClone(endpoints.get(`bench/svc-${(i * 37) % S}`)!);
    endpoints.set(`bench/svc-${(i * 37) % S}`, ep);
    const subset = ep.subsets![0]!;
    // Flip one endpoint between ready and not ready.
    if (subset.notReadyAddresses?.length) {
      subset.addresses = [...(subset.addresses ?? []), ...subset.notReadyAddresses];
      subset.notReadyAddresses = [];
    } else {
      subset.notReadyAddresses = subset.addresses!.slice(0, 1);
      subset.addresses = subset.addresses!.slice(1);
    }
    const key = `bench/svc-${(i * 37) % S}`;
    const tr = performance.now();
    renderRules(buildServicePorts(services, endpoints), {
      chains: { nat: new Set(), filter: new Set() },
      jumps: new Map(),
    });
    render.push(performance.now() - tr);
    model.markStale(key);
    const t0 = performance.now();
    const ports = model.ports(byKey, endpoints);
    const t1 = performance.now();
    contents = renderRules(ports, none, opts, contents, fragments).contents;
    const t2 = performance.now();
    await syncer.sync(ports, false);
    const t3 = performance.now();
    incremental.push(t2 - t0);
    total.push(t3 - t2 + (t1 - t0));
  }
  const save = legacy ? 'iptables-legacy-save' : 'iptables-save';
  const chains = execFileSync('nsenter', [`--net=/run/netns/${netns}`, save, '-t', 'nat'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  })
    .split('\n')
    .filter((l) => l.startsWith(':TUGBOAT-')).length;
  const f = (x: number) => x.toFixed(0);
  console.log(
    `backend=${legacy ? 'legacy' : 'nf_tables'} services=${S} endpoints/service=${E} iterations=${N} restore-lines=${lines} nat-chains=${chains}`,
  );
  console.log(
    `full sync (save+render+restore) ms, first from scratch then periodic: ${fullTimes.map(f).join(', ')}`,
  );
  console.log(`model+render from scratch ms: p50 ${f(pct(render, 50))} p99 ${f(pct(render, 99))}`);
  console.log(
    `model+render as the agent does it (one Service rebuilt, fragments reused) ms: p50 ${f(pct(incremental, 50))} p99 ${f(pct(incremental, 99))}`,
  );
  console.log(
    `change → applied (model+render+restore) ms: p50 ${f(pct(total, 50))} p99 ${f(pct(total, 99))} max ${f(Math.max(...total))}`,
  );
  console.log(`load average: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}`);
} finally {
  execFileSync('ip', ['netns', 'del', netns]);
}
