/**
 * Admission cost: pod creates/s and p50/p99 in a namespace with `quotas` ResourceQuotas and
 * `ranges` LimitRanges (every quota limits pods and requests.cpu, so every create is charged by
 * compare-and-swap against each of them; every range defaults and bounds the container) against
 * a namespace with none. Sequential and with `concurrency` creates in flight. In-process server
 * on loopback (plain HTTP, embedded store), no controllers.
 *   npx tsx bench/admission.ts [creates=1000] [quotas=5] [ranges=5] [concurrency=8]
 */
import { performance } from 'node:perf_hooks';
import { startApiServer } from '../test/support/api-server.js';
import { jsonCaller } from '../test/support/json-call.js';
import { pct } from './support/stats.js';

const creates = Number(process.argv[2] ?? 1000);
const quotas = Number(process.argv[3] ?? 5);
const ranges = Number(process.argv[4] ?? 5);
const concurrency = Number(process.argv[5] ?? 8);

const srv = await startApiServer();
const call = jsonCaller(() => srv.url);

async function namespace(name: string, withAdmission: boolean): Promise<void> {
  await call('POST', '/api/v1/namespaces', { metadata: { name } });
  if (!withAdmission) return;
  for (let i = 0; i < quotas; i++)
    await call('POST', `/api/v1/namespaces/${name}/resourcequotas`, {
      metadata: { name: `q${i}` },
      spec: { hard: { pods: String(creates * 4), 'requests.cpu': String(creates * 4) } },
    });
  for (let i = 0; i < ranges; i++)
    await call('POST', `/api/v1/namespaces/${name}/limitranges`, {
      metadata: { name: `r${i}` },
      spec: {
        limits: [
          { type: 'Container', defaultRequest: { cpu: '100m' }, default: { cpu: '200m' }, max: { cpu: '2' } },
        ],
      },
    });
}

async function run(ns: string, inFlight: number): Promise<{ perSec: number; p50: number; p99: number }> {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < creates) {
      const i = next++;
      const t = performance.now();
      const res = await call('POST', `/api/v1/namespaces/${ns}/pods`, {
        metadata: { name: `p${inFlight}-${i}` },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
      if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
      times.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const secs = (performance.now() - started) / 1000;
  return { perSec: creates / secs, p50: pct(times, 50), p99: pct(times, 99) };
}

// Warm-up, so the first measured row does not pay for the JIT.
await namespace('bench-adm-warm', true);
await run('bench-adm-warm', concurrency);

console.log(`| namespace | in flight | creates/s | p50 ms | p99 ms |`);
console.log(`| --- | --- | --- | --- | --- |`);
for (const [label, withAdmission] of [
  ['none', false],
  [`${quotas} quotas + ${ranges} ranges`, true],
] as const) {
  for (const inFlight of [1, concurrency]) {
    const ns = `bench-adm-${withAdmission ? 'on' : 'off'}-${inFlight}`;
    await namespace(ns, withAdmission);
    const r = await run(ns, inFlight);
    console.log(
      `| ${label} | ${inFlight} | ${r.perSec.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`,
    );
  }
}
if (quotas > 0) {
  const q = await call('GET', '/api/v1/namespaces/bench-adm-on-1/resourcequotas/q0');
  console.log(`\nq0 status.used after the sequential run: ${JSON.stringify(q.body.status.used)}`);
}
await srv.stop();
