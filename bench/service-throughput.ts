/**
 * Service proxy: requests/s and latency through a ClusterIP versus straight to the pod IP, on the
 * same pair of pods (network namespaces behind one node; test/…/netns-lab.ts): pod-2 is the client,
 * pod-1 the server. The node's rules are the agent's own (rendered and applied as the ServiceProxy
 * does), for one Service with one endpoint, so the only difference between the two paths is the
 * DNAT and its conntrack entry (pod-to-pod traffic is not masqueraded). `FROM=outside` runs the
 * client in the lab's outside namespace instead, whose Service traffic is masqueraded as
 * kube-proxy does for sources outside the cluster range.
 * Runs alternate (pod, service, pod, service, …) so load drifts hit both alike.
 *
 *   npx tsx bench/service-throughput.ts [seconds=5] [concurrency=16] [rounds=3]
 *
 * Two modes per path: `keep-alive` (one connection per worker, the DNAT is paid once) and `close`
 * (a new connection per request, paying the NAT and conntrack set-up every time).
 */
import { spawn } from 'node:child_process';
import { commandIptables } from '../src/agent/network/service-proxy/iptables.js';
import { buildServicePorts } from '../src/agent/network/service-proxy/model.js';
import { RuleSyncer, removeServiceRules } from '../src/agent/network/service-proxy/sync-rules.js';
import { endpointSlice, service } from '../test/agent/network/service-proxy/fixtures.js';
import { NetnsLab } from '../test/agent/network/service-proxy/netns-lab.js';

const [SECONDS = 5, CONCURRENCY = 16, ROUNDS = 3] = process.argv.slice(2).map(Number);

/** Load generator run inside the client namespace: prints {requests, errors, p50, p99} as JSON. */
const LOAD = `
const http = require('node:http');
const [url, seconds, conc, mode] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: mode === 'keep-alive', maxSockets: Number(conc) });
const until = performance.now() + Number(seconds) * 1000;
const lat = []; let errors = 0;
const one = () => new Promise((resolve) => {
  const t = performance.now();
  const req = http.get(url, { agent }, (res) => { res.resume(); res.on('end', () => { lat.push(performance.now() - t); resolve(); }); });
  req.on('error', () => { errors++; resolve(); });
});
const worker = async () => { while (performance.now() < until) await one(); };
Promise.all(Array.from({ length: Number(conc) }, worker)).then(() => {
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
  console.log(JSON.stringify({ requests: lat.length, errors, p50: q(0.5), p99: q(0.99) }));
  agent.destroy();
});
`;

interface Result {
  readonly requests: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
}

function load(from: string, url: string, mode: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'nsenter',
      [
        `--net=/run/netns/${from}`,
        process.execPath,
        '-e',
        LOAD,
        url,
        String(SECONDS),
        String(CONCURRENCY),
        mode,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as Result);
      } catch {
        reject(new Error(`load generator printed ${JSON.stringify(out)}`));
      }
    });
  });
}

async function main(): Promise<void> {
  const lab = new NetnsLab('tp');
  const iptables = commandIptables({ prefix: ['nsenter', `--net=/run/netns/${lab.node}`] });
  try {
    await lab.create(2);
    const pod = lab.pods[0]!;
    const from = process.env.FROM === 'outside' ? lab.client : lab.pods[1]!.netns;
    const svc = service('web', '10.96.0.40', [{ name: 'http', port: 80 }]);
    const slices = new Map([
      ['default/web', [endpointSlice('web', 'web-1', [pod.ip], [{ name: 'http', port: 8080 }])]],
    ]);
    await new RuleSyncer(iptables, { clusterCidr: '10.244.0.0/16', nodeIPs: ['192.168.77.1'] }).sync(
      buildServicePorts([svc], slices),
      true,
    );
    const paths = { pod: `http://${pod.ip}:8080/`, service: 'http://10.96.0.40/' };
    const rows: string[] = [];
    for (const mode of ['keep-alive', 'close']) {
      const totals: Record<string, Result[]> = { pod: [], service: [] };
      for (let r = 0; r < ROUNDS; r++)
        for (const [name, url] of Object.entries(paths)) totals[name]!.push(await load(from, url, mode));
      for (const [name, results] of Object.entries(totals)) {
        const rps = results.map((x) => x.requests / SECONDS);
        const mean = rps.reduce((a, b) => a + b, 0) / rps.length;
        const p50 = results.map((x) => x.p50).sort((a, b) => a - b)[Math.floor(results.length / 2)] ?? 0;
        const p99 = Math.max(...results.map((x) => x.p99));
        const errors = results.reduce((a, x) => a + x.errors, 0);
        rows.push(
          `| ${mode} | ${name} | ${mean.toFixed(0)} (${rps.map((x) => x.toFixed(0)).join(', ')}) | ${p50.toFixed(2)} | ${p99.toFixed(2)} | ${errors} |`,
        );
      }
    }
    console.log(
      `seconds=${SECONDS} concurrency=${CONCURRENCY} rounds=${ROUNDS} from=${process.env.FROM === 'outside' ? 'outside' : 'pod'}`,
    );
    console.log('| mode | path | requests/s mean (per round) | p50 ms | worst p99 ms | errors |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
  } finally {
    await removeServiceRules(iptables).catch(() => {});
    await lab.destroy();
  }
}

await main();
