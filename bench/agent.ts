/**
 * Agent benchmark: pod start latency (bound → Running) on the docker runtime with a local image,
 * and the agent's resident memory idle and with 20 pods. Runs the agent bundle (scripts/bundle-agent.mjs) as its
 * own process against a real API server and a private dockerd. Usage: npx tsx bench/agent.ts
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, type Pod, resources } from '../src/client/index.js';
import { startDockerd } from '../test/harness/dockerd.js';
import { startApiServer } from '../test/support/api-server.js';

/** Node flags for the agent process, e.g. AGENT_NODE_FLAGS='--max-semi-space-size=1'. */
const nodeFlags = (process.env.AGENT_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const dir = mkdtempSync(join(tmpdir(), `tugboat-bench-agent-${process.pid}-`));
const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

async function main() {
  execFileSync('node', ['scripts/bundle-agent.mjs', join(dir, 'agent')], { stdio: 'inherit' });
  const dockerd = await startDockerd();
  const api = await startApiServer();
  const client = new KubeClient({ server: api.url, allowInsecureLoopback: true });
  const config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    `server: ${api.url}\ninsecureLoopback: true\nnodeName: bench-node\ninternalIP: 127.0.0.1\nimds: 'off'\nruntime: docker\ndataDir: ${join(dir, 'data')}\nlisten: 127.0.0.1:0\n`,
  );
  const agent = spawn('node', [...nodeFlags, join(dir, 'agent', 'bin.js'), '--config', config], {
    env: { ...process.env, DOCKER_HOST: `unix://${dockerd.socketPath}` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  agent.stderr.on('data', (c) => {
    log += c;
  });
  try {
    for (let i = 0; i < 200 && !log.includes('running'); i++) await sleep(100);
    if (!log.includes('running')) throw new Error(`agent did not start:\n${log}`);
    await sleep(5_000);
    const idle = rssMiB(agent.pid ?? 0);

    const pod = (name: string): Pod => ({
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: 'bench-node',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: 'local/busybox:latest', command: ['sleep', '3600'] }],
      },
    });
    const running = async (name: string) => {
      for (let i = 0; i < 1200; i++) {
        const p = await client.get<Pod>(resources.pods, name, 'default');
        if (p.status?.phase === 'Running') return;
        await sleep(20);
      }
      throw new Error(`${name} not Running`);
    };
    const sequential: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await client.create(resources.pods, pod(`seq-${i}`));
      await running(`seq-${i}`);
      sequential.push(performance.now() - t0);
    }
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 10 }, (_, i) => client.create(resources.pods, pod(`burst-${i}`))));
    await Promise.all(Array.from({ length: 10 }, (_, i) => running(`burst-${i}`)));
    const burst = performance.now() - t0;
    await sleep(10_000);
    const busy = rssMiB(agent.pid ?? 0);
    const result = {
      podStartMs: {
        p50: Math.round(pct(sequential, 50)),
        p95: Math.round(pct(sequential, 95)),
        max: Math.round(Math.max(...sequential)),
      },
      burst10AllRunningMs: Math.round(burst),
      rssMiB: { idle: Number(idle.toFixed(1)), with20Pods: Number(busy.toFixed(1)) },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    for (const p of (await client.list<Pod>(resources.pods, { namespace: 'default' })).items) {
      await client.delete(resources.pods, p.metadata.name ?? '', {
        namespace: 'default',
        gracePeriodSeconds: 0,
      });
    }
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    client.close();
    await api.stop();
    await dockerd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
