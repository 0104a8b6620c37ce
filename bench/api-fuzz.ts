/**
 * Event-loop stall of the control plane under the fuzz mix (issue #19): a control plane with its
 * controllers and scheduler in this process, N fuzz requests one after another, and
 * perf_hooks.monitorEventLoopDelay over the run. Prints statuses and the delay percentiles.
 * Usage: npx tsx bench/api-fuzz.ts [requests=5000] [seed=1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startControlPlane } from '../src/control-plane/main.js';
import { RecordingEvents } from '../src/events.js';
import { fuzzRequests, sendFuzz } from '../test/support/api-fuzz.js';

const count = Number(process.argv[2] ?? 5000);
const seed = Number(process.argv[3] ?? 1);
const dataDir = mkdtempSync(join(tmpdir(), `tugboat-bench-fuzz-${process.pid}-`));
const events = new RecordingEvents();
const cp = await startControlPlane({ dataDir, listen: '127.0.0.1:0', insecureLoopbackHttp: true, events });
try {
  const next = fuzzRequests(seed);
  const statuses = new Map<number, number>();
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const res = await sendFuzz(cp.url, next());
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  }
  const seconds = (performance.now() - start) / 1000;
  h.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  const fiveXX = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
  console.log(
    `requests ${count} seed ${seed} in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)}/s)`,
  );
  console.log(`statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  console.log(
    `5xx ${fiveXX}; api.error events ${events.events.filter((e) => e.code === 'api.error').length}`,
  );
  console.log(
    `event-loop delay ms: p50 ${ms(h.percentile(50))} p99 ${ms(h.percentile(99))} p99.9 ${ms(h.percentile(99.9))} max ${ms(h.max)}`,
  );
  const ready = await fetch(`${cp.url}/readyz`);
  console.log(`readyz after: ${ready.status}`);
} finally {
  await cp.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
