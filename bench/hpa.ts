// Horizontal pod autoscaler: controller CPU per sync with N HPAs. The real controller manager
// (informers, work queue, the HPA controller and its status/Event writes) runs over the in-memory
// ControllerApi of the tests, and the scale subresources and pod metrics come from an in-process
// HpaApi, so what is measured is the controller's own work: per HPA pass, one scale read, one
// metrics read, the pods of the namespace filtered by the scale selector, the replica calculation,
// behavior and a status write when something changed. Usage alternates each sync between two levels,
// so the status (current metrics) changes every pass, as on a live cluster.
// Reports process CPU (user+system) per sync of all N HPAs, per HPA pass, and the pure
// reconcileAutoscaler cost in a loop.
// Usage: npx tsx bench/hpa.ts [hpas=500] [podsPerTarget=4] [seconds=20] [syncMs=1000]

import type { HpaApi, ScaleObject } from '../src/control-plane/controllers/hpa-api.js';
import { newBehaviorState } from '../src/control-plane/controllers/hpa-behavior.js';
import { type PodMetricsItem, reconcileAutoscaler } from '../src/control-plane/controllers/hpa-reconcile.js';
import { compileSelector } from '../src/control-plane/controllers/hpa-selector.js';
import { startControllerManager } from '../src/control-plane/controllers/manager.js';
import { createInformers, startInformers, stopInformers } from '../src/control-plane/machinery/informers.js';
import { resourceTypes } from '../src/control-plane/machinery/resources.js';
import type { HorizontalPodAutoscaler, Pod } from '../src/kube/index.js';
import { MemoryApi } from '../test/support/memory-api.js';

const count = Number(process.argv[2] ?? 500);
const podsPer = Number(process.argv[3] ?? 4);
const seconds = Number(process.argv[4] ?? 20);
const syncMs = Number(process.argv[5] ?? 1000);
const name = (i: number) => `web-${String(i).padStart(4, '0')}`;
const started = new Date(Date.now() - 3_600_000).toISOString();

function pod(target: number, k: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${name(target)}-${k}`, namespace: 'default', labels: { app: name(target) } },
    spec: { containers: [{ name: 'main', image: 'x', resources: { requests: { cpu: '100m' } } }] },
    status: {
      phase: 'Running',
      startTime: started,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: started }],
    },
  } as Pod;
}

function hpa(i: number): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: name(i), namespace: 'default', generation: 1 },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: name(i) },
      minReplicas: podsPer,
      maxReplicas: podsPer,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
    },
  };
}

let passes = 0;
let tick = 0;
// Usage between 40 m and 60 m of a 100 m request: within min = max the count never changes,
// but the measured utilization (and so the status) does every other sync.
const usage = () => `${40 + (Math.floor(Date.now() / syncMs) % 2) * 20}m`;
const metricsOf = (selector: string): PodMetricsItem[] => {
  const app = selector.slice('app='.length);
  const now = new Date().toISOString();
  return Array.from({ length: podsPer }, (_, k) => ({
    metadata: { name: `${app}-${k}` },
    timestamp: now,
    window: '15s',
    containers: [{ name: 'main', usage: { cpu: usage() } }],
  }));
};
const hpaApi: HpaApi = {
  getScale: async (t): Promise<ScaleObject> => {
    passes++;
    return {
      metadata: { name: t.name, namespace: t.namespace, resourceVersion: '1' },
      spec: { replicas: podsPer },
      status: { replicas: podsPer, selector: `app=${t.name}` },
    };
  },
  updateScale: async () => undefined,
  podMetrics: async (_ns, selector) => metricsOf(selector),
};

const api = new MemoryApi();
for (let i = 0; i < count; i++) {
  for (let k = 0; k < podsPer; k++) await api.create(resourceTypes.pods, pod(i, k));
  await api.create(resourceTypes.horizontalpodautoscalers, hpa(i));
}
const informers = createInformers(api);
await startInformers(informers);
const manager = startControllerManager({ api, informers, hpaApi, hpaSyncPeriodMs: syncMs });
// Let the first passes (and the informers' initial adds) settle before measuring.
await new Promise((r) => setTimeout(r, 2 * syncMs));
const p0 = passes;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const lag: number[] = [];
const probe = setInterval(() => {
  const at = performance.now();
  setImmediate(() => lag.push(performance.now() - at));
  tick++;
}, 100);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(probe);
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
const done = passes - p0;
await manager.stop();
stopInformers(informers);
const cpuMs = (cpu.user + cpu.system) / 1000;
const syncs = done / count;
lag.sort((a, b) => a - b);
console.log(
  `${count} HPAs × ${podsPer} pods, sync every ${syncMs} ms, ${(wall / 1000).toFixed(1)} s measured`,
);
console.log(`HPA passes: ${done} (${syncs.toFixed(1)} syncs of all ${count})`);
console.log(
  `process CPU: ${cpuMs.toFixed(0)} ms = ${(cpuMs / syncs).toFixed(0)} ms per sync of all, ${((cpuMs / done) * 1000).toFixed(0)} µs per HPA pass, ${((100 * cpuMs) / wall).toFixed(0)}% of one core`,
);
console.log(
  `event-loop lag p50 ${lag[Math.floor(lag.length / 2)]?.toFixed(1)} ms, p99 ${lag[Math.floor(lag.length * 0.99)]?.toFixed(1)} ms (${tick} probes)`,
);
const kinds = new Map<string, number>();
for (const c of api.calls) kinds.set(c, (kinds.get(c) ?? 0) + 1);
console.log(`API calls of the controllers: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);

// The pure pass alone (no informer, queue or writes): fake sources over the same pods.
const pods = Array.from({ length: count }, (_, i) => Array.from({ length: podsPer }, (_, k) => pod(i, k)));
const allPods = pods.flat();
const states = Array.from({ length: count }, () => newBehaviorState());
const rounds = 5;
const c1 = process.cpuUsage();
for (let r = 0; r < rounds; r++)
  for (let i = 0; i < count; i++)
    await reconcileAutoscaler(
      hpa(i),
      {
        getScale: async () => ({ replicas: podsPer, selector: `app=${name(i)}` }),
        updateScale: async () => undefined,
        pods: (s) => {
          const m = compileSelector(s);
          return allPods.filter((p) => m(p.metadata.labels));
        },
        podMetrics: async (s) => metricsOf(s),
      },
      states[i]!,
      Date.now(),
    );
const pure = process.cpuUsage(c1);
const pureMs = (pure.user + pure.system) / 1000;
console.log(
  `pure reconcileAutoscaler (selector over all ${allPods.length} pods): ${(pureMs / rounds).toFixed(0)} ms per sync of all, ${((pureMs / rounds / count) * 1000).toFixed(0)} µs per HPA`,
);
console.log(`process RSS: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
process.exit(0);
