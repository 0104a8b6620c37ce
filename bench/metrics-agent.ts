/**
 * The agent with N pods, scraped: runs the agent as bootstrap installs it (the host bundle,
 * scripts/bundle.mjs, `agent` subcommand, with AGENT_NODE_FLAGS and AGENT_ENV of
 * src/bootstrap/agent-install.ts) as its own process with the `process` runtime against a real API
 * server, N bound `sleep` pods, and fetches its `/stats/summary` over mutual TLS every `periodMs`
 * for `scrapes` rounds. Reports the agent's RSS with the pods before scraping and after, what of it
 * is its own (private) and what is the node binary's shared text, and its CPU time per scrape
 * (utime+stime of the agent process over the scrape rounds minus the same span idle, ÷ scrapes).
 * Usage: [AGENT_NODE_FLAGS=...] [MALLOC_ARENA_MAX=N] npx tsx bench/metrics-agent.ts [pods=100] [scrapes=40] [periodMs=500]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_ENV, AGENT_NODE_FLAGS } from '../src/bootstrap/agent-install.js';
import { KubeClient, type Pod, resources } from '../src/client/index.js';
import { freePort } from '../test/harness/process.js';
import { startApiServer } from '../test/support/api-server.js';
import { makeTestPki } from '../test/support/certs.js';

const pods = Number(process.argv[2] ?? 100);
const scrapes = Number(process.argv[3] ?? 40);
const periodMs = Number(process.argv[4] ?? 500);
/** Node flags for the agent process: bootstrap's unless AGENT_NODE_FLAGS is set ('' for none). */
const nodeFlags =
  process.env.AGENT_NODE_FLAGS === undefined
    ? [...AGENT_NODE_FLAGS]
    : process.env.AGENT_NODE_FLAGS.split(' ').filter(Boolean);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** From /proc/PID/smaps_rollup: private (dirty + clean) and shared-clean kB, in MiB. */
const memory = (pid: number) => {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(t)?.[1] ?? 0);
  return {
    privateMiB: +((kb('Private_Dirty') + kb('Private_Clean')) / 1024).toFixed(1),
    sharedMiB: +(kb('Shared_Clean') / 1024).toFixed(1),
  };
};
const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
/** utime + stime of `pid` in ms (USER_HZ 100). */
const cpuMs = (pid: number) => {
  const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-bench-metrics-agent-'));
  execFileSync('node', ['scripts/bundle.mjs', '--outdir', join(dir, 'bundle')], { stdio: 'inherit' });
  const bundle = readdirSync(join(dir, 'bundle')).find((f) => f.endsWith('.mjs')) ?? '';
  const pki = makeTestPki();
  for (const [name, text] of [
    ['tls.crt', pki.server.cert],
    ['tls.key', pki.server.key],
    ['ca.crt', pki.ca.cert],
  ] as const)
    writeFileSync(join(dir, name), text, { mode: 0o600 });
  const api = await startApiServer();
  const client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  const port = await freePort();
  const config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    `server: ${api.url}\ninsecureLoopback: true\nnodeName: bench-node\ninternalIP: 127.0.0.1\nimds: 'off'\nruntime: process\ndataDir: ${join(dir, 'data')}\nlisten: 127.0.0.1:${port}\ntlsCertFile: ${join(dir, 'tls.crt')}\ntlsKeyFile: ${join(dir, 'tls.key')}\nclientCaFile: ${join(dir, 'ca.crt')}\n`,
  );
  const agent = spawn('node', [...nodeFlags, join(dir, 'bundle', bundle), 'agent', '--config', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...AGENT_ENV, ...process.env },
  });
  let log = '';
  agent.stderr.on('data', (c) => {
    log += c;
  });
  const caller = pki.client('tugboat-apiserver', []);
  const get = () =>
    new Promise<number>((resolve, reject) =>
      https
        .get({ host: '127.0.0.1', port, path: '/stats/summary', ca: pki.ca.cert, ...caller }, (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => {
            n += c.length;
          });
          res.on('end', () => resolve(n));
        })
        .on('error', reject),
    );
  try {
    for (let i = 0; i < 300 && !log.includes('running'); i++) await sleep(100);
    if (!log.includes('running')) throw new Error(`agent did not start:\n${log}`);
    const pid = agent.pid ?? 0;
    for (let i = 0; i < pods; i++) {
      await client.create(resources.pods, {
        metadata: { name: `p${i}`, namespace: 'default' },
        spec: {
          nodeName: 'bench-node',
          terminationGracePeriodSeconds: 0,
          containers: [{ name: 'main', image: 'x', command: ['sleep', '3600'] }],
        },
      } as Pod);
    }
    for (let i = 0; i < 600; i++) {
      const items = (await client.list<Pod>(resources.pods, { namespace: 'default' })).items;
      if (items.filter((p) => p.status?.phase === 'Running').length === pods) break;
      await sleep(500);
    }
    await sleep(10_000);
    const rssWithPods = rssMiB(pid);
    const split = memory(pid);
    const idle0 = cpuMs(pid);
    await sleep(scrapes * periodMs);
    const idleCpu = cpuMs(pid) - idle0;
    const cpu0 = cpuMs(pid);
    let bytes = 0;
    for (let i = 0; i < scrapes; i++) {
      const t = performance.now();
      bytes = await get();
      await sleep(Math.max(0, periodMs - (performance.now() - t)));
    }
    const scrapeCpu = cpuMs(pid) - cpu0;
    const rssAfter = rssMiB(pid);
    console.log(
      JSON.stringify({
        pods,
        scrapes,
        periodMs,
        answerKiB: +(bytes / 1024).toFixed(1),
        nodeFlags: nodeFlags.join(' '),
        mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? AGENT_ENV.MALLOC_ARENA_MAX,
        rssMiBWithPods: +rssWithPods.toFixed(1),
        ...split,
        rssMiBAfterScrapes: +rssAfter.toFixed(1),
        agentCpuMsPerScrape: +((scrapeCpu - idleCpu) / scrapes).toFixed(1),
        agentCpuMsIdleSameSpan: idleCpu,
      }),
    );
    for (let i = 0; i < pods; i++)
      await client.delete(resources.pods, `p${i}`, { namespace: 'default', gracePeriodSeconds: 0 });
    for (let i = 0; i < 120; i++) {
      if ((await client.list<Pod>(resources.pods, { namespace: 'default' })).items.length === 0) break;
      await sleep(500);
    }
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    client.close();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  }
}

await main();
