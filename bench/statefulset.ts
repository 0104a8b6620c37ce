// StatefulSet controller: time until every pod of an N-replica StatefulSet is Ready, against the
// real API server (TLS, embedded store) with the scheduler and controllers of the tests and
// simulated nodes (a pod bound to one is reported Running and Ready on the nodes' next 100 ms pass).
// OrderedReady creates one pod at a time, waiting for each to be Ready, so its time is about N ×
// (create + schedule + one sim-node pass + status); Parallel creates them all at once.
// Usage: npx tsx bench/statefulset.ts [replicas=100] [runs=1]

import { rmSync } from 'node:fs';
import { resourceTypes } from '../src/control-plane/machinery/resources.js';
import type { StatefulSet } from '../src/kube/index.js';
import { makeTestPki } from '../test/support/certs.js';
import { startControlCluster } from '../test/support/control-cluster.js';

const replicas = Number(process.argv[2] ?? 100);
const runs = Number(process.argv[3] ?? 1);

function statefulSet(name: string, policy: 'OrderedReady' | 'Parallel'): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      serviceName: name,
      podManagementPolicy: policy,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  };
}

const pki = makeTestPki();
const c = await startControlCluster(pki);
try {
  for (let i = 0; i < 10; i++) await c.sim.add(`bench-node-${i}`, { cpu: '64', memory: '256Gi' });
  c.sim.start();
  c.startLoops();
  console.log(`| policy | replicas | time to all Ready | per pod |`);
  console.log('| --- | --- | --- | --- |');
  for (let run = 0; run < runs; run++) {
    for (const policy of ['Parallel', 'OrderedReady'] as const) {
      const name = `bench-${policy.toLowerCase()}-${run}`;
      const t0 = performance.now();
      await c.api.create(resourceTypes.statefulsets, statefulSet(name, policy));
      for (;;) {
        const s = await c.api.get<StatefulSet>(resourceTypes.statefulsets, 'default', name);
        if (s?.status?.readyReplicas === replicas) break;
        if (performance.now() - t0 > 600_000) throw new Error(`${name}: not ready after 10 minutes`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const ms = performance.now() - t0;
      console.log(
        `| ${policy} | ${replicas} | ${(ms / 1000).toFixed(1)} s | ${(ms / replicas).toFixed(0)} ms |`,
      );
      await c.api.delete(resourceTypes.statefulsets, 'default', name);
    }
  }
  console.log(
    `process RSS (API server + controllers + sim nodes): ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  console.log(
    `load average: ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
} finally {
  await c.stop();
  rmSync(pki.dir, { recursive: true, force: true });
}
