// API server benchmark: throughput and latency of create/get/list/watch at 1, 10 and 100
// concurrent clients with 10,000 pods stored, watch fan-out to 500 watchers, and resident memory.
// Usage: npm run build && node bench/api.mjs [embedded|etcd] [requests-per-level]
// The server runs as its own process (`node bin/tugboat.js control-plane`, plain HTTP on loopback so
// the figures are the server's, not TLS handshakes); clients use keep-alive connections.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const backend = process.argv[2] ?? 'embedded';
const perLevel = Number(process.argv[3] ?? 3000);
const STORED = 10_000;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), `tugboat-bench-api-${process.pid}-`));
const children = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function waitHttp(url, tries = 300) {
  for (let i = 0; i < tries; i++) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${url} did not become ready`);
}

let etcdEndpoint;
if (backend === 'etcd') {
  const [client, peer] = [await freePort(), await freePort()];
  const etcd = spawn(
    'etcd',
    [
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${client}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${client}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${peer}`,
    ],
    { stdio: 'ignore' },
  );
  children.push(etcd);
  etcdEndpoint = `http://127.0.0.1:${client}`;
  await waitHttp(`${etcdEndpoint}/health`);
}

const port = await freePort();
const args = [
  'bin/tugboat.js',
  'control-plane',
  '--no-controllers',
  '--insecure-loopback-http',
  '--listen',
  `127.0.0.1:${port}`,
  '--data-dir',
  join(dir, 'data'),
];
if (etcdEndpoint) args.push('--store', 'etcd', '--etcd-endpoints', etcdEndpoint);
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const server = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
children.push(server);
const base = `http://127.0.0.1:${port}`;
await waitHttp(`${base}/readyz`);

const rssMiB = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

// Server CPU time (user + system, from /proc) spent per request: a figure the machine's load
// average does not distort the way wall-clock latency is distorted.
const cpuMs = () => {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${base}${path}`,
      {
        method,
        agent,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let n = 0;
        res.on('data', (c) => {
          n += c.length;
        });
        res.on('end', () =>
          res.statusCode < 300 ? resolve(n) : reject(new Error(`${method} ${path} → ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const pod = (name) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'bench', shard: String(name.length % 7) } },
  spec: {
    nodeName: 'node-1',
    containers: [
      { name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'], env: [{ name: 'A', value: '1' }] },
    ],
  },
});

async function run(concurrency, total, op) {
  const latencies = [];
  const cpuBefore = cpuMs();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  const cpuPerReq = (((cpuMs() - cpuBefore) / total) * 1000).toFixed(0);
  return { rps: Math.round(total / seconds), p50: q(0.5), p99: q(0.99), cpu: cpuPerReq };
}

for (const ns of ['bench', 'small']) await request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
const seedStart = performance.now();
await run(50, STORED, (i) => request('POST', '/api/v1/namespaces/bench/pods', pod(`seed-${i}`)));
await run(20, 100, (i) => request('POST', '/api/v1/namespaces/small/pods', pod(`small-${i}`)));
const seedSeconds = ((performance.now() - seedStart) / 1000).toFixed(1);
const rssSeeded = rssMiB();

const rows = [];
let created = 0;
for (const c of [1, 10, 100]) {
  const n = c === 1 ? Math.min(perLevel, 1000) : perLevel;
  rows.push({
    op: 'create pod',
    c,
    ...(await run(c, n, () => request('POST', '/api/v1/namespaces/bench/pods', pod(`c${c}-${created++}`)))),
  });
  rows.push({
    op: 'get pod',
    c,
    ...(await run(c, n, (i) => request('GET', `/api/v1/namespaces/bench/pods/seed-${i % STORED}`))),
  });
  rows.push({
    op: 'list 100 pods',
    c,
    ...(await run(c, Math.ceil(n / 10), () => request('GET', '/api/v1/namespaces/small/pods'))),
  });
  rows.push({ op: 'patch pod status', c, ...(await run(c, n, (i) => patchStatus(i))) });
}
async function patchStatus(i) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify({ status: { phase: 'Running', podIP: `10.0.${i % 250}.${i % 200}` } });
    const req = http.request(
      `${base}/api/v1/namespaces/bench/pods/seed-${i % STORED}/status`,
      {
        method: 'PATCH',
        agent,
        headers: {
          'content-type': 'application/merge-patch+json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode < 300 ? resolve() : reject(new Error(`patch → ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
const fullList = await run(1, 5, () => request('GET', '/api/v1/namespaces/bench/pods'));
const pagedList = await run(1, 20, () => request('GET', '/api/v1/pods?limit=500'));

// Watch fan-out: W watchers on one namespace, then E creates; delivery latency per event per watcher.
async function fanOut(watchers, events) {
  await request('POST', '/api/v1/namespaces', { metadata: { name: `fan-${watchers}` } });
  const sentAt = new Map();
  const delays = [];
  let received = 0;
  const watchAgent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const reqs = [];
  await Promise.all(
    Array.from(
      { length: watchers },
      () =>
        new Promise((resolve, reject) => {
          const req = http.get(
            `${base}/api/v1/namespaces/fan-${watchers}/pods?watch=true&resourceVersion=0&allowWatchBookmarks=false`,
            { agent: watchAgent },
            (res) => {
              let buf = '';
              resolve();
              res.on('data', (c) => {
                buf += c;
                let nl = buf.indexOf('\n');
                while (nl >= 0) {
                  const ev = JSON.parse(buf.slice(0, nl));
                  buf = buf.slice(nl + 1);
                  const t = sentAt.get(ev.object?.metadata?.name);
                  if (t !== undefined) {
                    delays.push(performance.now() - t);
                    received++;
                  }
                  nl = buf.indexOf('\n');
                }
              });
            },
          );
          req.on('error', reject);
          reqs.push(req);
        }),
    ),
  );
  await sleep(500);
  const started = performance.now();
  for (let i = 0; i < events; i++) {
    const name = `fan-${i}`;
    sentAt.set(name, performance.now());
    await request('POST', `/api/v1/namespaces/fan-${watchers}/pods`, pod(name));
  }
  for (let i = 0; i < 600 && received < watchers * events; i++) await sleep(100);
  const seconds = (performance.now() - started) / 1000;
  for (const r of reqs) r.destroy();
  delays.sort((a, b) => a - b);
  const q = (p) =>
    delays.length ? delays[Math.min(delays.length - 1, Math.floor(p * delays.length))].toFixed(1) : 'n/a';
  return {
    watchers,
    events,
    delivered: received,
    expected: watchers * events,
    eventsPerSecond: Math.round(received / seconds),
    p50: q(0.5),
    p99: q(0.99),
  };
}
const fan1 = await fanOut(1, 2000);
const fan500 = await fanOut(500, 100);
const rssEnd = rssMiB();

const table = [
  '| operation | clients | req/s | p50 ms | p99 ms | server CPU µs/req |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.op} | ${r.c} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.cpu} |`),
  `| list 10,000 pods (one response) | 1 | ${fullList.rps} | ${fullList.p50} | ${fullList.p99} | ${fullList.cpu} |`,
  `| list all pods, limit=500 page | 1 | ${pagedList.rps} | ${pagedList.p50} | ${pagedList.p99} | ${pagedList.cpu} |`,
];
console.log(
  `backend: ${backend}; seeded ${STORED} pods in ${seedSeconds} s; RSS after seeding ${rssSeeded} MiB, at end ${rssEnd} MiB\n`,
);
console.log(table.join('\n'));
console.log(
  '\n| watchers | events | delivered | events/s delivered | delivery p50 ms | delivery p99 ms |\n| --- | --- | --- | --- | --- | --- |',
);
for (const f of [fan1, fan500])
  console.log(
    `| ${f.watchers} | ${f.events} | ${f.delivered}/${f.expected} | ${f.eventsPerSecond} | ${f.p50} | ${f.p99} |`,
  );
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
agent.destroy();
process.exit(0);
