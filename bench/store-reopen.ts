/**
 * Store reopen benchmark: how long the embedded store takes to open (load the snapshot, replay
 * the log) and how much memory it then holds, for 10,000, 100,000 and 1,000,000 records.
 * Run: `node --import tsx bench/store-reopen.ts [N ...]` (default 10000 100000 1000000).
 * Each store is filled in this process (creates of distinct keys, ~200-byte values, 100 at a time,
 * default rotation and snapshot settings), closed, then opened 3 times in fresh child processes
 * (`--open DIR`), which report the open time and their RSS and heap after it; the median is shown.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore } from '../src/control-plane/store/embedded/embedded-store.js';
import { RecordingEvents } from '../src/events.js';

const args = process.argv.slice(2);

if (args[0] === '--open') {
  const events = new RecordingEvents();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const store = await openEmbeddedStore({ dataDir: args[1]!, compactIntervalMs: 0, events });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = Math.round((used.user + used.system) / 1000);
  const opened = events.events.find((e) => e.code === 'store.opened')?.data ?? {};
  const mem = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ ms: Math.round(ms), cpuMs, rssMiB: Math.round(mem.rss / 2 ** 20), heapMiB: Math.round(mem.heapUsed / 2 ** 20), ...opened })}\n`,
  );
  await store.close();
  process.exit(0);
}

const sizes = args.length ? args.map(Number) : [10_000, 100_000, 1_000_000];
const value = new TextEncoder().encode(JSON.stringify({ kind: 'ConfigMap', data: { v: 'x'.repeat(160) } }));
const rows: string[] = [];
for (const size of sizes) {
  const dir = mkdtempSync(join(tmpdir(), `tugboat-bench-reopen-${process.pid}-`));
  try {
    const fillStart = performance.now();
    const store = await openEmbeddedStore({ dataDir: dir, compactIntervalMs: 0 });
    for (let i = 0; i < size; i += 100) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(i + 100, size); j++)
        batch.push(store.create(`/registry/configmaps/b/c-${j}`, value));
      await Promise.all(batch);
    }
    await store.close();
    const fillS = (performance.now() - fillStart) / 1000;
    const files = readdirSync(dir);
    const bytes = files.reduce(
      (sum, f) => sum + (statSync(join(dir, f)).isFile() ? statSync(join(dir, f)).size : 0),
      0,
    );
    const runs = [0, 1, 2].map(() => {
      const out = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--open', dir], {
        encoding: 'utf8',
      });
      if (out.status !== 0) throw new Error(`open failed: ${out.stderr}`);
      return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as {
        ms: number;
        cpuMs: number;
        rssMiB: number;
        heapMiB: number;
        logBytes: number;
        snapshot?: string;
      };
    });
    runs.sort((a, b) => a.ms - b.ms);
    const mid = runs[1]!;
    const line = {
      records: size,
      fillSeconds: Number(fillS.toFixed(1)),
      dataMiB: Number((bytes / 2 ** 20).toFixed(1)),
      segments: files.filter((f) => f.startsWith('wal-')).length,
      snapshot: mid.snapshot ?? null,
      logReplayedMiB: Number((mid.logBytes / 2 ** 20).toFixed(1)),
      reopenMs: mid.ms,
      reopenMsAll: runs.map((r) => r.ms),
      reopenCpuMs: mid.cpuMs,
      rssMiB: mid.rssMiB,
      heapMiB: mid.heapMiB,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    rows.push(
      `| ${size} | ${line.dataMiB} | ${line.segments} | ${line.logReplayedMiB} | ${line.reopenMs} (${line.reopenMsAll.join(', ')}) | ${line.reopenCpuMs} | ${line.rssMiB} | ${line.heapMiB} |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(
  `\n| records | data MiB | segments | log replayed MiB | reopen ms, median (3 runs) | CPU ms | RSS MiB after open | heap MiB |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n${rows.join('\n')}\n`,
);
