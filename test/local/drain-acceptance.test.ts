import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeClient, Node, Pod } from '../../src/client/index.js';
import { resources } from '../../src/client/index.js';
import { isReadyPod } from '../support/control-cluster.js';
import {
  type LocalKubectl,
  type LocalTestCluster,
  localKubectl,
  startLocalTestCluster,
} from '../support/local-cluster.js';
import { waitFor } from '../support/wait.js';

// Issue #14 acceptance: `kubectl drain` of a node running a Deployment of 3 with a
// PodDisruptionBudget `minAvailable: 2` completes, and a sampler reading the API every 200 ms never
// sees fewer than 2 Ready pods; then `kubectl uncordon`. On the real `local up` (control plane and
// two agents as processes, the process runtime; needs dist/: npm run build): the evicted pods are
// really stopped on one agent and really started, and become Ready, on the other.

let cluster: LocalTestCluster;
let admin: KubeClient;

let kc: LocalKubectl;
const webPods = async () =>
  (await admin.list<Pod>(resources.pods, { namespace: 'default', labelSelector: 'app=web' })).items;

beforeAll(async () => {
  cluster = await startLocalTestCluster('tugboat-drain-', {
    nodes: 2,
    runtime: 'process',
    timeoutMs: 120_000,
  });
  admin = cluster.admin();
  kc = localKubectl(cluster.env);
}, 180_000);

afterAll(async () => {
  admin?.close();
  await cluster?.remove();
}, 180_000);

/** Counts Ready web pods (not being deleted) from the API every 200 ms; keeps the lowest count. */
function sampleReady() {
  let stopped = false;
  let min = Number.POSITIVE_INFINITY;
  let samples = 0;
  let failures = 0;
  const done = (async () => {
    while (!stopped) {
      try {
        const ready = (await webPods()).filter(isReadyPod).length;
        min = Math.min(min, ready);
        samples++;
      } catch {
        failures++;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return { min, samples, failures };
    },
  };
}

describe('kubectl drain with a PodDisruptionBudget on local up (process runtime)', () => {
  it('moves a Deployment of 3 off a node without ever dropping below minAvailable 2', async () => {
    // All three replicas on local-1: local-2 is cordoned while they are placed.
    await kc.ok('cordon', 'local-2');
    await kc.apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - {name: main, image: busybox, command: [sleep, '3600']}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: node-helper, namespace: default}
spec:
  selector: {matchLabels: {app: node-helper}}
  template:
    metadata: {labels: {app: node-helper}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - {name: main, image: busybox, command: [sleep, '3600']}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: default}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
`);
    await waitFor(
      async () => {
        const ready = (await webPods()).filter(isReadyPod);
        return ready.length === 3 && ready.every((p) => p.spec?.nodeName === 'local-1');
      },
      '3 Ready web pods on local-1',
      180_000,
      500,
    );
    await kc.ok('uncordon', 'local-2');
    await waitFor(
      async () => (await kc.ok('get', 'pdb', 'web', '--no-headers')).match(/^web\s+2\s+N\/A\s+1\s/),
      'the budget allowing 1 disruption',
      120_000,
      500,
    );
    const helpers = async () =>
      (await admin.list<Pod>(resources.pods, { namespace: 'default', labelSelector: 'app=node-helper' }))
        .items;
    await waitFor(
      async () => (await helpers()).filter(isReadyPod).length === 2,
      'a Ready daemon pod on each node',
      180_000,
      500,
    );
    const helperOnLocal1 = (await helpers()).find((p) => p.spec?.nodeName === 'local-1')?.metadata.name;

    const sampler = sampleReady();
    const drainStart = Date.now();
    const drained = await kc.run(
      'drain',
      'local-1',
      '--ignore-daemonsets',
      '--delete-emptydir-data',
      '--timeout=600s',
    );
    const seen = await sampler.stop();
    console.info(
      `drain acceptance: drained in ${(Date.now() - drainStart) / 1000} s; ${seen.samples} samples, fewest Ready ${seen.min}, ${seen.failures} failed reads`,
    );
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toContain('node/local-1 drained');
    // kubectl was told 429 at least once: the budget held an eviction back until a replacement was Ready.
    expect(drained.stderr + drained.stdout).toMatch(/disruption budget/);
    expect(seen.samples).toBeGreaterThan(10);
    expect(seen.min).toBeGreaterThanOrEqual(2);

    // Every web pod runs, Ready, on local-2; the daemon pod stayed on the drained node.
    const after = await waitFor(
      async () => {
        const ready = (await webPods()).filter(isReadyPod);
        return ready.length === 3 && ready;
      },
      '3 Ready web pods after the drain',
      180_000,
      500,
    );
    expect(after.every((p) => p.spec?.nodeName === 'local-2')).toBe(true);
    expect((await helpers()).map((p) => p.metadata.name)).toContain(helperOnLocal1);
    const cordoned = await admin.get<Node>(resources.nodes, 'local-1');
    expect(cordoned.spec?.unschedulable).toBe(true);

    await kc.ok('uncordon', 'local-1');
    const node = await admin.get<Node>(resources.nodes, 'local-1');
    expect(node.spec?.unschedulable).toBeFalsy();
    expect(await kc.ok('get', 'nodes', 'local-1', '--no-headers')).toMatch(/^local-1\s+Ready\s/);
  }, 900_000);
});
