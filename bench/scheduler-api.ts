// Scheduling through the real API server (TLS, embedded store), and pod startup latency.
//   throughput — N nodes and P pending pods created through the API, then the scheduler loop
//                (informers over HTTPS watches, binding through pods/binding) binds them all;
//                reports pods bound per second.
//   latency    — 100 simulated nodes whose agent (a watch) reports bound pods Running at once;
//                pods are created at RATE/s for SECONDS s (and deleted once Running, for churn);
//                reports create → Running latency p50/p99 as seen by a watching client.
// Usage: npx tsx bench/scheduler-api.ts throughput [nodes=1000] [pods=10000]
//        npx tsx bench/scheduler-api.ts latency [rate=100] [seconds=30]
import { rmSync } from 'node:fs';
import { clientControllerApi } from '../src/control-plane/machinery/client-api.js';
import { Informer } from '../src/control-plane/machinery/informer.js';
import { createInformers, startInformers, stopInformers } from '../src/control-plane/machinery/informers.js';
import { resourceTypes } from '../src/control-plane/machinery/resources.js';
import { startScheduler } from '../src/control-plane/scheduler/scheduler.js';
import type { KubeObject, Pod } from '../src/kube/index.js';
import { startApiServer } from '../test/support/api-server.js';
import { makeTestPki } from '../test/support/certs.js';
import { adminClient } from '../test/support/control-cluster.js';
import { makeNode, makePod } from '../test/support/k8s-objects.js';

const mode = process.argv[2] ?? 'throughput';
const pki = makeTestPki();
const server = await startApiServer({
  tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert },
});
const api = clientControllerApi(adminClient(pki, server.url));

async function parallel<T>(items: T[], n: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

function freshPod(name: string): Pod {
  const p = makePod(name, { cpu: '100m', memory: '64Mi' });
  p.metadata.uid = undefined;
  return p;
}

async function addNodes(n: number): Promise<void> {
  const nodes = Array.from({ length: n }, (_, i) =>
    makeNode(`node-${String(i).padStart(5, '0')}`, { cpu: '64', memory: '256Gi', zone: `zone-${i % 3}` }),
  );
  await parallel(nodes, 16, async (node) => {
    node.metadata.uid = undefined;
    const created = await api.create(resourceTypes.nodes, node);
    await api.updateStatus(resourceTypes.nodes, { ...created, status: node.status });
  });
}

try {
  if (mode === 'throughput') {
    const n = Number(process.argv[3] ?? 1000);
    const p = Number(process.argv[4] ?? 10_000);
    await addNodes(n);
    const t0 = performance.now();
    await parallel(
      Array.from({ length: p }, (_, i) => i),
      32,
      (i) => api.create(resourceTypes.pods, freshPod(`pod-${i}`)),
    );
    const createRate = p / ((performance.now() - t0) / 1000);
    const informers = createInformers(api);
    await startInformers(informers);
    const t1 = performance.now();
    const scheduler = startScheduler({
      api,
      informers,
      scheduledEvents: false,
      bindConcurrency: Number(process.env.BIND_CONCURRENCY ?? 32),
    });
    while (scheduler.bound < p) await new Promise((r) => setTimeout(r, 10));
    const rate = p / ((performance.now() - t1) / 1000);
    console.log(
      `| through API (TLS) | ${n} | ${p} | ${Math.round(rate)} | (pod creation ran at ${Math.round(createRate)}/s) |`,
    );
    await scheduler.stop();
    stopInformers(informers);
  } else {
    const rate = Number(process.argv[3] ?? 100);
    const seconds = Number(process.argv[4] ?? 30);
    await addNodes(100);
    const informers = createInformers(api);
    await startInformers(informers);
    const scheduler = startScheduler({ api, informers });
    // The simulated agents: report a bound pod Running as soon as the watch shows the binding.
    const agentApi = clientControllerApi(adminClient(pki, server.url, 'agents'));
    const agent = new Informer<KubeObject>(agentApi, resourceTypes.pods);
    const started = new Set<string>();
    const report = (o: KubeObject) => {
      const pod = o as Pod;
      const key = pod.metadata.name ?? '';
      if (
        !pod.spec.nodeName ||
        pod.status?.phase === 'Running' ||
        started.has(key) ||
        pod.metadata.deletionTimestamp
      )
        return;
      started.add(key);
      void agentApi
        .patch(
          resourceTypes.pods,
          'default',
          key,
          { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
          { subresource: 'status' },
        )
        .catch(() => undefined);
    };
    agent.addHandlers({ onAdd: report, onUpdate: report });
    await agent.start();
    // The observer: a client watching for Running.
    const createdAt = new Map<string, number>();
    const latencies: number[] = [];
    const observer = new Informer<KubeObject>(
      clientControllerApi(adminClient(pki, server.url, 'observer')),
      resourceTypes.pods,
    );
    const observe = (o: KubeObject) => {
      const pod = o as Pod;
      const t = createdAt.get(pod.metadata.name ?? '');
      if (t === undefined || pod.status?.phase !== 'Running') return;
      createdAt.delete(pod.metadata.name ?? '');
      latencies.push(performance.now() - t);
      void api
        .delete(resourceTypes.pods, 'default', pod.metadata.name ?? '', { gracePeriodSeconds: 0 })
        .catch(() => undefined);
    };
    observer.addHandlers({ onAdd: observe, onUpdate: observe });
    await observer.start();
    const total = rate * seconds;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const name = `churn-${i}`;
      createdAt.set(name, performance.now());
      void api.create(resourceTypes.pods, freshPod(name)).catch((err) => console.error(String(err)));
    }
    const deadline = performance.now() + 30_000;
    while (latencies.length < total && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
    console.log(
      `| ${rate} pods/s for ${seconds} s | ${latencies.length}/${total} | ${at(0.5).toFixed(0)} | ${at(0.9).toFixed(0)} | ${at(0.99).toFixed(0)} | ${latencies.at(-1)?.toFixed(0)} |`,
    );
    agent.stop();
    observer.stop();
    await scheduler.stop();
    stopInformers(informers);
  }
} finally {
  await server.stop();
  rmSync(pki.dir, { recursive: true, force: true });
}
process.exit(0);
