/**
 * Store benchmark: create / update / get / range / watch on the embedded store and on etcd with
 * 10,000 pod-sized objects, at 1, 10 and 100 concurrent clients; latency p50/p99 and resident
 * memory. Run: `node --import tsx bench/store-bench.ts [embedded|etcd|both] [--objects N]`.
 * etcd is started from Debian's etcd-server by the test harness (single member, loopback).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type Store } from '../src/control-plane/store/index.js';
import { startEtcd } from '../test/harness/etcd.js';

const args = process.argv.slice(2);
const which = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'both';
const objectsArg = args.indexOf('--objects');
const OBJECTS = objectsArg >= 0 ? Number(args[objectsArg + 1]) : 10_000;
const LEVELS = [1, 10, 100];
const OPS_PER_LEVEL = 2_000;

const pod = (i: number) =>
  new TextEncoder().encode(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `pod-${i}`,
        namespace: 'default',
        labels: { app: `app-${i % 50}` },
        uid: `${i}`.padStart(36, '0'),
      },
      spec: {
        nodeName: `node-${i % 20}`,
        containers: [
          {
            name: 'main',
            image: 'local/busybox',
            command: ['sleep', '3600'],
            env: [{ name: 'X', value: 'y'.repeat(400) }],
          },
        ],
      },
      status: { phase: 'Running', podIP: `10.0.${(i >> 8) & 255}.${i & 255}` },
    }),
  );

interface Row {
  backend: string;
  op: string;
  clients: number;
  ops: number;
  opsPerSec: number;
  p50ms: number;
  p99ms: number;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/** Runs `total` operations spread over `clients` concurrent loops; returns throughput and latency. */
async function measure(
  backend: string,
  op: string,
  clients: number,
  total: number,
  fn: (i: number) => Promise<unknown>,
) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await fn(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const row: Row = {
    backend,
    op,
    clients,
    ops: total,
    opsPerSec: Math.round(total / seconds),
    p50ms: Number(pct(latencies, 50).toFixed(2)),
    p99ms: Number(pct(latencies, 99).toFixed(2)),
  };
  console.error(JSON.stringify(row));
  return row;
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function run(
  backend: string,
  store: Store,
  serverPid: number,
): Promise<{ rows: Row[]; rssMiB: number }> {
  const rows: Row[] = [];
  const key = (i: number) => `/registry/pods/default/pod-${String(i).padStart(6, '0')}`;
  const revs = new Map<number, number>();
  // Load: the 10,000 objects, created by 100 concurrent clients.
  rows.push(
    await measure(backend, 'create', 100, OBJECTS, async (i) => {
      const r = await store.create(key(i), pod(i));
      if (!r.ok) throw new Error(`create ${key(i)} failed`);
      revs.set(i, r.kv.modRevision);
    }),
  );
  // A watcher on the whole prefix records how long each update takes to arrive.
  const submitted = new Map<string, number>();
  const watchLatency: number[] = [];
  let watchEvents = 0;
  const watch = await store.watch(
    '/registry/pods/',
    { prefix: true },
    {
      onEvents: (events) => {
        const now = performance.now();
        for (const e of events) {
          watchEvents++;
          // Latency from the update call to its event reaching the watcher.
          const t = submitted.get(e.kv.key);
          if (t !== undefined) watchLatency.push(now - t);
          submitted.delete(e.kv.key);
        }
      },
      onError: (err) => console.error(`watch error: ${err.message}`),
    },
  );
  const watchStart = performance.now();
  for (const clients of LEVELS) {
    rows.push(
      await measure(backend, 'update', clients, OPS_PER_LEVEL, async (n) => {
        // Distinct keys per operation, so the benchmark measures the store, not conflicts.
        const i = (n * 7919 + clients) % OBJECTS;
        submitted.set(key(i), performance.now());
        const r = await store.update(key(i), pod(i), revs.get(i)!);
        if (!r.ok) throw new Error(`update ${key(i)} conflicted`);
        revs.set(i, r.kv.modRevision);
      }),
    );
    rows.push(
      await measure(backend, 'get', clients, OPS_PER_LEVEL * 2, (n) => store.get(key((n * 31) % OBJECTS))),
    );
    rows.push(
      await measure(backend, 'list 500', clients, Math.max(20, clients * 2), (n) =>
        store.range('/registry/pods/', {
          prefix: true,
          limit: 500,
          startKey: key((n * 997) % (OBJECTS - 500)),
        }),
      ),
    );
    rows.push(
      await measure(backend, `list all ${OBJECTS}`, clients, Math.max(5, clients), () =>
        store.range('/registry/pods/', { prefix: true }),
      ),
    );
  }
  const deadline = Date.now() + 30_000;
  while (watchEvents < OPS_PER_LEVEL * LEVELS.length && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const watchSeconds = (performance.now() - watchStart) / 1000;
  await watch.cancel();
  watchLatency.sort((a, b) => a - b);
  const watchRow: Row = {
    backend,
    op: 'watch: update call → event (1 watcher)',
    clients: 1,
    ops: watchEvents,
    opsPerSec: Math.round(watchEvents / watchSeconds),
    p50ms: Number(pct(watchLatency, 50).toFixed(2)),
    p99ms: Number(pct(watchLatency, 99).toFixed(2)),
  };
  console.error(JSON.stringify(watchRow));
  rows.push(watchRow);
  rows.push(await fanOut(backend, store, key, revs));
  return { rows, rssMiB: rssMiB(serverPid) };
}

/** 500 watchers on the prefix; 500 updates from 10 clients; latency from update call to each delivery. */
async function fanOut(backend: string, store: Store, key: (i: number) => string, revs: Map<number, number>) {
  const WATCHERS = 500;
  const UPDATES = 500;
  const submitted = new Map<string, number>();
  const latency: number[] = [];
  const watches = await Promise.all(
    Array.from({ length: WATCHERS }, () =>
      store.watch(
        '/registry/pods/',
        { prefix: true },
        {
          onEvents: (events) => {
            const now = performance.now();
            for (const e of events) {
              const t = submitted.get(e.kv.key);
              if (t !== undefined) latency.push(now - t);
            }
          },
          onError: (err) => console.error(`fan-out watch error: ${err.message}`),
        },
      ),
    ),
  );
  const started = performance.now();
  await measure(backend, 'update (500 watchers open)', 10, UPDATES, async (n) => {
    const i = (n * 104729 + 13) % OBJECTS;
    submitted.set(key(i), performance.now());
    const r = await store.update(key(i), pod(i), revs.get(i)!);
    if (!r.ok) throw new Error(`update ${key(i)} conflicted`);
    revs.set(i, r.kv.modRevision);
  });
  const deadline = Date.now() + 60_000;
  while (latency.length < WATCHERS * UPDATES && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(watches.map((w) => w.cancel()));
  latency.sort((a, b) => a - b);
  const row: Row = {
    backend,
    op: `watch fan-out: ${WATCHERS} watchers × ${UPDATES} updates (deliveries)`,
    clients: 10,
    ops: latency.length,
    opsPerSec: Math.round(latency.length / seconds),
    p50ms: Number(pct(latency, 50).toFixed(2)),
    p99ms: Number(pct(latency, 99).toFixed(2)),
  };
  console.error(JSON.stringify(row));
  return row;
}

function table(rows: Row[]): string {
  const lines = [
    '| backend | operation | clients | ops | ops/s | p50 ms | p99 ms |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.backend} | ${r.op} | ${r.clients} | ${r.ops} | ${r.opsPerSec} | ${r.p50ms} | ${r.p99ms} |`,
    );
  return lines.join('\n');
}

const results: Row[] = [];
const memory: string[] = [];
if (which === 'embedded' || which === 'both') {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-bench-store-${process.pid}-`));
  const rssBefore = rssMiB(process.pid);
  const store = await createStore({ kind: 'embedded', dataDir: dir });
  const { rows, rssMiB: rss } = await run('embedded', store, process.pid);
  await store.close();
  // Recovery: reopen the data dir (snapshot-less here: 10,000 creates + updates are one log segment).
  const t = performance.now();
  const reopened = await createStore({ kind: 'embedded', dataDir: dir });
  const openMs = Math.round(performance.now() - t);
  const revision = await reopened.currentRevision();
  await reopened.close();
  memory.push(`embedded: reopening the data dir (replaying ${revision - 1} logged writes) took ${openMs} ms`);
  rmSync(dir, { recursive: true, force: true });
  results.push(...rows);
  memory.push(
    `embedded: bench process RSS ${rss} MiB after the run (${rssBefore} MiB before opening the store)`,
  );
}
if (which === 'etcd' || which === 'both') {
  const etcd = await startEtcd();
  try {
    const store = await createStore({ kind: 'etcd', endpoints: etcd.endpoints, prefix: '/bench' });
    const { rows, rssMiB: rss } = await run('etcd', store, etcd.members[0]!.pid());
    await store.close();
    results.push(...rows);
    memory.push(`etcd: etcd member RSS ${rss} MiB after the run`);
  } finally {
    await etcd.stop();
  }
}
console.log(table(results));
console.log();
for (const m of memory) console.log(`- ${m}`);
