/**
 * Metrics scrape cost on the agent: 100 pods (process runtime, one `sleep` each) behind the agent's
 * TLS server, `/stats/summary` fetched N times with the API server's client certificate. Reports
 * the agent side's CPU per scrape (process.cpuUsage of this process, which is the agent server and
 * collector plus the small TLS client), wall time per scrape, answer size, and RSS before and after.
 * Mode `cgroup` reads each container's cgroup files (what the docker runtime's containers cost;
 * these processes share one cgroup, so the files read are the same number, not distinct ones);
 * mode `process` reads /proc/PID/stat (the process runtime).
 * Usage: npx tsx bench/metrics-scrape.ts [pods=100] [scrapes=50] [cgroup|process]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRuntime } from '../src/agent/runtime/process-runtime.js';
import { buildAgentServer } from '../src/agent/server/agent-server.js';
import { buildSummaryCollector } from '../src/agent/stats/summary.js';
import { readCgroupUsage, readProcessUsage } from '../src/agent/stats/usage-readers.js';
import { makeTestPki } from '../test/support/certs.js';
import { shellLaunch } from '../test/support/shell-launch.js';

const pods = Number(process.argv[2] ?? 100);
const scrapes = Number(process.argv[3] ?? 50);
const mode = process.argv[4] === 'process' ? 'process' : 'cgroup';
const rssMiB = () =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

async function main() {
  const pki = makeTestPki();
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-bench-metrics-'));
  const runtime = new ProcessRuntime({ dataDir: dir });
  const server = buildAgentServer({
    runtime,
    stats: buildSummaryCollector({
      runtime,
      nodeName: 'bench',
      readContainer: (c) =>
        c.pid === undefined
          ? Promise.resolve(undefined)
          : mode === 'cgroup'
            ? readCgroupUsage(c.pid)
            : readProcessUsage(c.pid),
    }),
    tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
  });
  try {
    for (let i = 0; i < pods; i++) await runtime.start(shellLaunch(`p${i}`, 'exec sleep 3600'));
    await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', r));
    const port = (server.server.address() as AddressInfo).port;
    const client = pki.client('tugboat-apiserver', []);
    const agent = new https.Agent({ keepAlive: false });
    const get = () =>
      new Promise<string>((resolve, reject) =>
        https
          .get(
            { host: '127.0.0.1', port, path: '/stats/summary', ca: pki.ca.cert, ...client, agent },
            (res) => {
              let body = '';
              res.on('data', (c) => {
                body += c;
              });
              res.on('end', () => resolve(body));
            },
          )
          .on('error', reject),
      );
    await get();
    await new Promise((r) => setTimeout(r, 1100));
    global.gc?.();
    const rssBefore = rssMiB();
    const times: number[] = [];
    let bytes = 0;
    let podsSeen = 0;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < scrapes; i++) {
      const t = performance.now();
      const body = await get();
      times.push(performance.now() - t);
      bytes = body.length;
      podsSeen = (JSON.parse(body) as { pods: unknown[] }).pods.length;
    }
    const cpu = process.cpuUsage(cpu0);
    const rssAfter = rssMiB();
    console.log(
      JSON.stringify({
        mode,
        pods,
        podsSeen,
        scrapes,
        cpuMsPerScrape: +((cpu.user + cpu.system) / 1000 / scrapes).toFixed(2),
        wallMsP50: +pct(times, 50).toFixed(1),
        wallMsP95: +pct(times, 95).toFixed(1),
        answerKiB: +(bytes / 1024).toFixed(1),
        rssMiBBefore: +rssBefore.toFixed(1),
        rssMiBAfter: +rssAfter.toFixed(1),
      }),
    );
  } finally {
    await server.close();
    for (const c of await runtime.list()) await runtime.stop(c.id, 0);
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
