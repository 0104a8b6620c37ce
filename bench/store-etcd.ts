/**
 * API writes on the embedded store vs etcd with 1 and 3 members, and failover time when the etcd
 * leader of 3 is killed. Through the control plane: the single-file host bundle (built here into a
 * temp dir) runs `control-plane --no-controllers --insecure-loopback-http` as its own process;
 * clients POST ConfigMaps (~1 KB) over keep-alive HTTP.
 * Run: `npx tsx bench/store-etcd.ts [writesPerLevel=1000] [failoverRounds=3]`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EtcdCluster, findLeader, startEtcd } from '../test/harness/etcd.js';
import { freePort, type StartedProcess, startProcess } from '../test/harness/process.js';

const WRITES = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 3);
const LEVELS = [1, 16, 64];
const dir = mkdtempSync(join(tmpdir(), `tugboat-bench-store-etcd-${process.pid}-`));

function buildBundle(): string {
  const out = execFileSync(process.execPath, ['scripts/bundle.mjs', '--outdir', join(dir, 'out')], {
    encoding: 'utf8',
  });
  return join(dir, 'out', (JSON.parse(out) as { file: string }).file);
}

async function startApi(bundle: string, storeArgs: string[]): Promise<{ url: string; proc: StartedProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await startProcess(
    process.execPath,
    [
      bundle,
      'control-plane',
      '--insecure-loopback-http',
      '--no-controllers',
      '--listen',
      `127.0.0.1:${port}`,
      ...storeArgs,
    ],
    { cwd: dir, timeoutMs: 60_000, ready: async () => (await fetch(`${url}/readyz`)).ok },
  );
  return { url, proc };
}

let serial = 0;
async function createConfigMap(url: string, timeoutMs = 60_000): Promise<void> {
  const name = `cm-${process.pid}-${serial++}`;
  const res = await fetch(`${url}/api/v1/namespaces/default/configmaps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metadata: { name }, data: { v: 'x'.repeat(1000) } }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`create ${name}: HTTP ${res.status}`);
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** CPU seconds (user+system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function writeLevels(backend: string, url: string, pids: number[]): Promise<void> {
  // Warm-up (JIT, connection set-up, the API server's first-write work) is not measured.
  for (let i = 0; i < 100; i++) await createConfigMap(url);
  for (const clients of LEVELS) {
    const latencies: number[] = [];
    let left = WRITES;
    const cpuBefore = pids.map(cpuSeconds);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (left-- > 0) {
          const t = performance.now();
          await createConfigMap(url);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = pids.map((pid, i) => cpuSeconds(pid) - cpuBefore[i]!);
    latencies.sort((a, b) => a - b);
    console.log(
      `| ${backend} | ${clients} | ${Math.round(WRITES / seconds)} | ${pct(latencies, 0.5).toFixed(1)} | ${pct(latencies, 0.99).toFixed(1)} | ${((cpu[0]! / WRITES) * 1e6).toFixed(0)} | ${((cpu.slice(1).reduce((a, b) => a + b, 0) / WRITES) * 1e6).toFixed(0)} | ${loadavg()[0]!.toFixed(1)} |`,
    );
  }
}

/** Kill the leader while one client writes back to back; time from the kill to the next 201. */
async function failover(url: string, etcd: EtcdCluster): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < 20; i++) await createConfigMap(url);
    const leader = await findLeader(etcd);
    if (!leader) throw new Error('no etcd leader');
    let killedAt = 0;
    let firstAfter = 0;
    let failed = 0;
    const writer = (async () => {
      while (firstAfter === 0) {
        // Only a write sent after the kill counts: one in flight may have committed before it.
        const sentAfterKill = killedAt > 0;
        try {
          await createConfigMap(url, 30_000);
          if (sentAfterKill) firstAfter = performance.now();
        } catch {
          failed++;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    killedAt = performance.now();
    await leader.kill();
    await writer;
    const newLeader = await findLeader(etcd);
    console.log(
      `| ${round + 1} | ${leader.name} | ${newLeader?.name ?? '?'} | ${Math.round(firstAfter - killedAt)} | ${failed} | ${loadavg()[0]!.toFixed(1)} |`,
    );
    await leader.restart();
  }
}

const bundle = buildBundle();
console.log('| store | clients | writes/s | p50 ms | p99 ms | API CPU µs/write | etcd CPU µs/write | load |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
try {
  {
    const { url, proc } = await startApi(bundle, ['--data-dir', join(dir, 'data')]);
    await writeLevels('embedded', url, [proc.pid]);
    await proc.stop(10_000);
  }
  for (const size of [1, 3]) {
    const etcd = await startEtcd({ size });
    const { url, proc } = await startApi(bundle, [
      '--store',
      'etcd',
      '--etcd-endpoints',
      etcd.endpoints.join(','),
    ]);
    try {
      await writeLevels(`etcd, ${size} member${size > 1 ? 's' : ''}`, url, [
        proc.pid,
        ...etcd.members.map((m) => m.pid()),
      ]);
      if (size === 3) {
        console.log(
          '\n| round | killed leader | new leader | kill → first write acknowledged (ms) | failed requests | load |',
        );
        console.log('| --- | --- | --- | --- | --- | --- |');
        await failover(url, etcd);
      }
    } finally {
      await proc.stop(10_000);
      await etcd.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
