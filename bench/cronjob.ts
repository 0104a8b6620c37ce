// CronJob controller schedule drift: N CronJobs on `* * * * *` against the real API server (TLS,
// embedded store), informers over HTTPS watches, the real controller manager on the wall clock.
// Drift of a start = when the controller issued the Job create − the start time it was for (from the
// job's scheduled-timestamp annotation). Jobs are created suspended, so no pods: this measures the
// CronJob controller alone. Reports p50/p99/max per minute and jobs started vs expected.
// With `memory` as the 4th argument the controllers run over the in-memory ControllerApi of the
// tests instead (no HTTP, no store): the controller's own share of the drift.
// Usage: npx tsx bench/cronjob.ts [cronjobs=1000] [minutes=2] [cronJobWorkers=5] [api|memory]

import { rmSync } from 'node:fs';
import { scheduledTimestampAnnotation } from '../src/control-plane/controllers/cronjob-reconcile.js';
import { startControllerManager } from '../src/control-plane/controllers/manager.js';
import type { ControllerApi } from '../src/control-plane/machinery/api.js';
import { clientControllerApi } from '../src/control-plane/machinery/client-api.js';
import { createInformers, startInformers, stopInformers } from '../src/control-plane/machinery/informers.js';
import { resourceTypes } from '../src/control-plane/machinery/resources.js';
import type { CronJob } from '../src/kube/index.js';
import { startApiServer } from '../test/support/api-server.js';
import { makeTestPki } from '../test/support/certs.js';
import { adminClient } from '../test/support/control-cluster.js';
import { MemoryApi } from '../test/support/memory-api.js';

const count = Number(process.argv[2] ?? 1000);
const minutes = Number(process.argv[3] ?? 2);
const cronJobWorkers = Number(process.argv[4] ?? 5);

const pki = makeTestPki();
const server = await startApiServer({
  tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
});
const base: ControllerApi =
  process.argv[5] === 'memory' ? new MemoryApi() : clientControllerApi(adminClient(pki, server.url));
const drifts = new Map<number, number[]>();
// The controllers' API, recording when each Job create is issued.
const record: ControllerApi['create'] = (r, obj) => {
  if (r.resource === 'jobs') {
    const at = Date.parse(obj.metadata.annotations?.[scheduledTimestampAnnotation] ?? '');
    const list = drifts.get(at) ?? [];
    list.push(Date.now() - at);
    drifts.set(at, list);
  }
  return base.create(r, obj);
};
const api = new Proxy(base, {
  get(target, key) {
    if (key === 'create') return record;
    const v = Reflect.get(target, key);
    return typeof v === 'function' ? v.bind(target) : v;
  },
});

function cronJob(i: number): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: `cj-${String(i).padStart(5, '0')}`, namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        spec: {
          suspend: true,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      },
    },
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

try {
  const t0 = performance.now();
  for (let i = 0; i < count; i += 50)
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, k) =>
        base.create(resourceTypes.cronjobs, cronJob(i + k)),
      ),
    );
  console.log(`created ${count} CronJobs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const informers = createInformers(api);
  await startInformers(informers);
  const manager = startControllerManager({ api, informers, cronJobWorkers });
  const firstMinute = (Math.floor(Date.now() / 60_000) + 1) * 60_000;
  const end = firstMinute + minutes * 60_000;
  await new Promise((r) => setTimeout(r, end - Date.now() + 20_000));
  await manager.stop();
  stopInformers(informers);
  console.log('| start time | jobs started | p50 drift | p99 drift | max drift |');
  console.log('| --- | --- | --- | --- | --- |');
  for (let t = firstMinute; t < end; t += 60_000) {
    const d = drifts.get(t) ?? [];
    console.log(
      `| ${new Date(t).toISOString().slice(11, 16)} | ${d.length}/${count} | ${pct(d, 50)} ms | ${pct(d, 99)} ms | ${Math.max(...d)} ms |`,
    );
  }
  const all = [...drifts.entries()].filter(([t]) => t >= firstMinute && t < end).flatMap(([, d]) => d);
  console.log(
    `all: ${all.length} starts, p50 ${pct(all, 50)} ms, p99 ${pct(all, 99)} ms, max ${Math.max(...all)} ms`,
  );
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(`process RSS (API server + controllers): ${rss.toFixed(0)} MiB`);
} finally {
  await server.stop();
  rmSync(pki.dir, { recursive: true, force: true });
}
