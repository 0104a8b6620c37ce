// Scheduler throughput: pods scheduled per second with N simulated nodes and P pending pods.
//   pure  — selectNode + cache accounting only (the decision path, no I/O)
//   loop  — the real scheduler loop (informers, assume, async bind, Scheduled events off) over
//           the in-memory ControllerApi, so it counts watch and bind handling but no HTTP
// Usage: npx tsx bench/scheduler.ts [nodes=1000,5000] [pods=10000] [mode=pure,loop]

import { createInformers, startInformers, stopInformers } from '../src/control-plane/machinery/informers.js';
import { resourceTypes } from '../src/control-plane/machinery/resources.js';
import { SchedulerCache } from '../src/control-plane/scheduler/cache.js';
import { startScheduler } from '../src/control-plane/scheduler/scheduler.js';
import { selectNode } from '../src/control-plane/scheduler/select-node.js';
import type { Node, Pod } from '../src/kube/index.js';
import { makeNode, makePod, ownerRef } from '../test/support/k8s-objects.js';
import { MemoryApi } from '../test/support/memory-api.js';

const nodeCounts = (process.argv[2] ?? '1000,5000').split(',').map(Number);
const podCount = Number(process.argv[3] ?? 10_000);
const modes = (process.argv[4] ?? 'pure,loop').split(',');

function nodes(n: number): Node[] {
  return Array.from({ length: n }, (_, i) =>
    makeNode(`node-${String(i).padStart(5, '0')}`, { cpu: '32', memory: '128Gi', zone: `zone-${i % 3}` }),
  );
}

/** Pods of 100 ReplicaSets (so spreading is scored), each requesting 100m and 128Mi. */
function pods(p: number): Pod[] {
  return Array.from({ length: p }, (_, i) =>
    makePod(`pod-${i}`, { cpu: '100m', memory: '128Mi', owner: ownerRef('ReplicaSet', `rs-${i % 100}`) }),
  );
}

function pure(n: number, p: number): number {
  const cache = new SchedulerCache();
  for (const node of nodes(n)) cache.setNode(node);
  const list = pods(p);
  const state = { next: 0 };
  const t0 = performance.now();
  for (const pod of list) {
    const r = selectNode(pod, cache, state);
    if (!r.ok) throw new Error(r.message);
    cache.addPod(`default/${pod.metadata.name}`, pod, r.node);
  }
  return p / ((performance.now() - t0) / 1000);
}

async function loop(n: number, p: number): Promise<number> {
  const api = new MemoryApi();
  for (const node of nodes(n)) await api.create(resourceTypes.nodes, node);
  for (const pod of pods(p)) {
    pod.metadata.uid = undefined;
    await api.create(resourceTypes.pods, pod);
  }
  const informers = createInformers(api);
  await startInformers(informers);
  const t0 = performance.now();
  const scheduler = startScheduler({ api, informers, scheduledEvents: false });
  while (scheduler.bound < p) await new Promise((r) => setTimeout(r, 5));
  const rate = p / ((performance.now() - t0) / 1000);
  await scheduler.stop();
  stopInformers(informers);
  return rate;
}

console.log(`node ${process.version}, ${podCount} pods`);
console.log('| mode | nodes | pods | pods/s |\n| --- | --- | --- | --- |');
for (const n of nodeCounts) {
  for (const mode of modes) {
    const rate = mode === 'pure' ? pure(n, podCount) : await loop(n, podCount);
    console.log(`| ${mode} | ${n} | ${podCount} | ${Math.round(rate)} |`);
  }
}
